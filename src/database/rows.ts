import type { ColumnType, Selectable } from 'kysely';
import type { DB, JsonObject } from './schema';

// Row types of raw queries, derived from the generated schema (schema.ts) so that a column renamed, dropped or
// retyped in a migration breaks the type-check of every query row that names it. Only types: kysely's query
// builder is not used at run time.

export type Table = keyof DB;

/** A whole row of `T` as pg returns it (int8 as string, timestamptz as Date, jsonb parsed). */
export type TableRow<T extends Table> = Selectable<DB[T]>;

/**
 * What a column may be narrowed to: jsonb to any shape (the generated Json type admits null either way, so the
 * shape's nullability is the query's word); anything else only to a subtype of its type.
 */
type Narrowing<R> = { [P in keyof R]?: JsonObject extends NonNullable<R[P]> ? unknown : R[P] };

/** `N`'s keys, each one of `K` (a narrowing of a column that was not selected is a mistake). */
type NarrowingOf<R, N> = Narrowing<R> & { [P in Exclude<keyof N, keyof R>]: never };

/**
 * The columns `K` of table `T`, as a query selecting them by name gets them, with the column types in `N` narrowed
 * (a status text to its union, a jsonb to its shape). Computed columns of the SELECT join on with `&`.
 *   type Row = Columns<'tasks', 'id' | 'status', { status: TaskStatus }> & { open_alerts: number };
 */
export type Columns<T extends Table, K extends keyof TableRow<T>, N extends NarrowingOf<Pick<TableRow<T>, K>, N> = object> = Omit<
  Pick<TableRow<T>, K>,
  keyof N
> &
  N;

/** A whole row of `T` (SELECT *), with the column types in `N` narrowed as for `Columns`. */
export type Row<T extends Table, N extends NarrowingOf<TableRow<T>, N> = object> = Omit<TableRow<T>, keyof N> & N;

/** The columns of an outer-joined table: each may be null. */
export type Nullable<R> = { [P in keyof R]: R[P] | null };

/** A column value as to_json/json_build_object renders it: timestamps become ISO strings, int8 becomes a number. */
type InJson<C> = C extends ColumnType<infer S, infer I, infer _U> ? (bigint extends I ? number : InJsonValue<S>) : InJsonValue<C>;
type InJsonValue<V> = V extends Date ? string : V;

/**
 * The columns `K` of table `T` as they come out of json_build_object/to_json/json_agg in SQL (keys named after the
 * columns), with the column types in `N` narrowed as for `Columns`.
 */
export type JsonColumns<
  T extends Table,
  K extends keyof TableRow<T> & keyof DB[T],
  N extends NarrowingOf<{ [P in K]: InJson<DB[T][P]> }, N> = object,
> = Omit<{ [P in K]: InJson<DB[T][P]> }, keyof N> & N;
