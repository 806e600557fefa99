import { z } from 'zod';
import { durationSchema } from '../common/duration';
import { FORMATS } from '../ingest/normalizers';

/** What a bus message holds: a native SecurityAlert body, or a monitor's own format. */
export const MESSAGE_FORMATS = ['native', ...FORMATS] as const;
export type MessageFormat = (typeof MESSAGE_FORMATS)[number];
const format = z.enum(MESSAGE_FORMATS);

/** A NATS subject or subject pattern (`*` one token, `>` the rest). */
const subject = z
  .string()
  .min(1)
  .max(255)
  .regex(/^([^.\s*>]+|\*)(\.([^.\s*>]+|\*))*(\.>)?$|^>$/, 'must be a NATS subject such as warden.alerts.suricata or falco.>');
const name = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, "_" or "-"');
const topic = z
  .string()
  .min(1)
  .max(249)
  .regex(/^[A-Za-z0-9._-]+$/, 'must be a Kafka topic name (letters, digits, ".", "_" or "-")');

/** Messages a consumer takes at once (stored together, through the batch path), and how many such batches may be in flight. */
const batch = z.number().int().min(1).max(1000).default(500);
const inFlight = z.number().int().min(1).max(16).default(4);

const natsSchema = z
  .object({
    /** Unset or empty: NATS intake is off (NATS_URL, comma-separated, wins). */
    servers: z.array(z.string().min(1)).default([]),
    /** Created with `subjects` when missing; an existing stream is used as it is. */
    stream: name.default('WARDEN_ALERTS'),
    /** The durable pull consumer every replica shares. */
    consumer: name.default('warden'),
    /** Subject (or pattern) to the format of its messages. The first pattern that matches a message's subject wins. */
    subjects: z.record(subject, format).default({
      'warden.alerts.native': 'native',
      'warden.alerts.suricata': 'suricata',
      'warden.alerts.alertmanager': 'alertmanager',
      'warden.alerts.wazuh': 'wazuh',
      'warden.alerts.falco': 'falco',
      'warden.alerts.ecs': 'ecs',
      'falco.>': 'falco',
    }),
    /** Poison messages go to `<dead_letter>.<their subject>`, kept by the stream `dead_letter_stream`. */
    dead_letter: subject.default('warden.dead'),
    dead_letter_stream: name.default('WARDEN_DEAD_LETTERS'),
    batch,
    in_flight: inFlight,
    /** How long a taken message may stay unacknowledged before the server hands it to another replica. */
    ack_wait: durationSchema.default(60),
  })
  .strict()
  .superRefine((n, ctx) => {
    if (Object.keys(n.subjects).length === 0)
      ctx.addIssue({ code: 'custom', path: ['subjects'], message: 'must name at least one subject' });
    if (n.dead_letter.includes('*') || n.dead_letter.includes('>')) {
      ctx.addIssue({ code: 'custom', path: ['dead_letter'], message: 'must be a plain subject prefix, without wildcards' });
    }
  });

const kafkaSchema = z
  .object({
    /** Unset or empty: Kafka intake is off (KAFKA_BROKERS, comma-separated host:port, wins). */
    brokers: z.array(z.string().min(1)).default([]),
    client_id: name.default('warden'),
    /** The consumer group every replica joins. */
    group: name.default('warden'),
    topics: z.array(z.object({ topic, format }).strict()).default([
      { topic: 'warden.alerts.native', format: 'native' },
      { topic: 'warden.alerts.suricata', format: 'suricata' },
      { topic: 'warden.alerts.alertmanager', format: 'alertmanager' },
      { topic: 'warden.alerts.wazuh', format: 'wazuh' },
      { topic: 'warden.alerts.falco', format: 'falco' },
      { topic: 'warden.alerts.ecs', format: 'ecs' },
    ]),
    /** Poison messages go to this topic, with the reason and the original topic in headers. */
    dead_letter: topic.default('warden.dead'),
    batch,
    in_flight: inFlight,
    /** A replica silent this long (crashed) loses its partitions to the others. */
    session_timeout: durationSchema.default(30),
  })
  .strict()
  .superRefine((k, ctx) => {
    const seen = new Set<string>();
    k.topics.forEach((t, i) => {
      if (seen.has(t.topic))
        ctx.addIssue({ code: 'custom', path: ['topics', i, 'topic'], message: `a second entry for topic "${t.topic}"` });
      if (t.topic === k.dead_letter) ctx.addIssue({ code: 'custom', path: ['topics', i, 'topic'], message: 'is the dead-letter topic' });
      seen.add(t.topic);
    });
  });

/** config/intake.yaml: the message buses Warden takes alerts from besides HTTP. */
export const intakeFileSchema = z.object({ nats: natsSchema.prefault({}), kafka: kafkaSchema.prefault({}) }).strict();

export type IntakeConfig = z.output<typeof intakeFileSchema>;

/** Nest token of config/intake.yaml as validated at start-up. */
export const INTAKE_CONFIG = Symbol('INTAKE_CONFIG');
export type NatsIntakeConfig = IntakeConfig['nats'];
export type KafkaIntakeConfig = IntakeConfig['kafka'];
