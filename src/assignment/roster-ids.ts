import { Inject, Injectable } from '@nestjs/common';
import { ASSIGNMENT_CONFIG, type AssignmentConfig } from './assignment.schema';

/** An analyst as a channel's user maps onto them. */
export interface MappedAnalyst {
  id: string;
  name: string;
  role: string;
  team: string | null;
}

/**
 * Who is who across Slack, Jira, the OpenID provider and the roster (assignment.yaml `slack:`,
 * `jira:`, `oidc_sub:` and `email:`), both ways. The schema refuses two analysts with one id,
 * so every lookup has one answer.
 */
@Injectable()
export class RosterIds {
  private readonly bySlack = new Map<string, MappedAnalyst>();
  private readonly byJira = new Map<string, MappedAnalyst>();
  private readonly byOidcSub = new Map<string, MappedAnalyst>();
  private readonly byEmail = new Map<string, MappedAnalyst>();
  private readonly byId = new Map<string, AssignmentConfig['analysts'][number]>();

  constructor(@Inject(ASSIGNMENT_CONFIG) config: AssignmentConfig) {
    for (const a of config.analysts) {
      const mapped = { id: a.id, name: a.name, role: a.role, team: a.team ?? null };
      this.byId.set(a.id, a);
      if (a.slack) this.bySlack.set(a.slack, mapped);
      if (a.jira) this.byJira.set(a.jira, mapped);
      if (a.oidc_sub) this.byOidcSub.set(a.oidc_sub, mapped);
      if (a.email) this.byEmail.set(a.email.toLowerCase(), mapped);
    }
  }

  analystBySlackUser(userId: string): MappedAnalyst | null {
    return this.bySlack.get(userId) ?? null;
  }

  analystByJiraAccount(accountId: string): MappedAnalyst | null {
    return this.byJira.get(accountId) ?? null;
  }

  /** The analyst whose `oidc_sub` this is (compared exactly, as providers issue it). */
  analystByOidcSub(sub: string): MappedAnalyst | null {
    return this.byOidcSub.get(sub) ?? null;
  }

  /** The analyst whose `email` this is, ignoring case. */
  analystByEmail(email: string): MappedAnalyst | null {
    return this.byEmail.get(email.toLowerCase()) ?? null;
  }

  /** The analyst as a channel maps onto them; null when not in the roster. */
  analyst(analystId: string): MappedAnalyst | null {
    const a = this.byId.get(analystId);
    return a ? { id: a.id, name: a.name, role: a.role, team: a.team ?? null } : null;
  }

  slackUserOf(analystId: string): string | null {
    return this.byId.get(analystId)?.slack ?? null;
  }

  jiraAccountOf(analystId: string): string | null {
    return this.byId.get(analystId)?.jira ?? null;
  }

  roleOf(analystId: string): string | null {
    return this.byId.get(analystId)?.role ?? null;
  }

  teamOf(analystId: string): string | null {
    return this.byId.get(analystId)?.team ?? null;
  }

  nameOf(analystId: string): string | null {
    return this.byId.get(analystId)?.name ?? null;
  }
}
