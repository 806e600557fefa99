import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadEnv } from '../common/env';
import { dataSourceOptions } from './data-source-options';

// For the TypeORM CLI (migration:generate); the app builds its own through Nest.
export default new DataSource(dataSourceOptions(loadEnv().DATABASE_URL));
