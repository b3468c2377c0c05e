import 'vitest';
import type { Neo4jTarget } from '../../src/core/neo4j/connection.js';

declare module 'vitest' {
  export interface ProvidedContext {
    neo4j: Neo4jTarget;
  }
}
