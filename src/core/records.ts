/**
 * The facts a component node holds, as the worker writes them and the API reads them back: one
 * shape, so that a field added on one side is seen on the other.
 */
export interface ComponentFacts {
  key: string;
  name: string;
  environment: string;
  namespace: string | null;
  system: string | null;
  address: string | null;
  version: string | null;
  firstSeen: number;
  lastSeen: number;
}
