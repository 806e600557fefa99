# Multi-stage: build once, run the api or the worker from the same image.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js WARDEN_CONFIG_DIR=/app/config
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The pages' files: the shared scripts and styles, the dashboard's and the workspace's
# (tsc copies no .html/.js/.css; each page finds them from the package root).
COPY --from=build /app/src/web/public ./src/web/public
COPY --from=build /app/src/stats/dashboard/public ./src/stats/dashboard/public
COPY --from=build /app/src/workspace/public ./src/workspace/public
COPY package.json ./
COPY config ./config
# The ATT&CK tables (src/enrichment/attack/ and config validation read them).
COPY data ./data
USER node
EXPOSE 3000
# api by default; the worker runs `node dist/src/worker.js`, migrations `node dist/src/database/migrate.js up`.
CMD ["node", "dist/src/main.js"]
