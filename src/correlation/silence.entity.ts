import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Matcher } from './silences';

/** Alerts matching every matcher between `startsAt` and `endsAt` are stored as suppressed. */
@Entity({ name: 'silences' })
@Index('IDX_silences_ends_at', ['endsAt'])
export class Silence {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'jsonb' })
  matchers: Matcher[];

  @Column({ type: 'text', default: '' })
  comment: string;

  @Column({ name: 'created_by', type: 'text' })
  createdBy: string;

  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt: Date;

  @Column({ name: 'ends_at', type: 'timestamptz' })
  endsAt: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
