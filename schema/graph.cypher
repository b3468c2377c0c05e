// Constraints and indexes of the graph model (../DESIGN.md "Graph model").
// Applied at start by both processes; every statement is idempotent (IF NOT EXISTS).
// Statements are separated by semicolons at the end of a line.
//
// Every node carries a `key` string built from its natural key (see src/core/model.ts), because
// Community edition has no composite node keys; uniqueness on `key` is what MERGE relies on.

CREATE CONSTRAINT component_key IF NOT EXISTS FOR (c:Component) REQUIRE c.key IS UNIQUE;
CREATE CONSTRAINT operation_key IF NOT EXISTS FOR (o:Operation) REQUIRE o.key IS UNIQUE;
CREATE CONSTRAINT library_name IF NOT EXISTS FOR (l:Library) REQUIRE l.name IS UNIQUE;
CREATE CONSTRAINT tag_uid IF NOT EXISTS FOR (t:Tag) REQUIRE t.uid IS UNIQUE;
CREATE CONSTRAINT checkpoint_id IF NOT EXISTS FOR (c:IngestCheckpoint) REQUIRE c.id IS UNIQUE;

// Lookups by name, with and without environment and namespace.
CREATE INDEX component_name IF NOT EXISTS FOR (c:Component) ON (c.name);
CREATE INDEX service_name IF NOT EXISTS FOR (s:Service) ON (s.name);
CREATE INDEX component_last_seen IF NOT EXISTS FOR (c:Component) ON (c.lastSeen);
CREATE INDEX operation_name IF NOT EXISTS FOR (o:Operation) ON (o.name);
CREATE INDEX operation_last_seen IF NOT EXISTS FOR (o:Operation) ON (o.lastSeen);
CREATE INDEX tag_key IF NOT EXISTS FOR (t:Tag) ON (t.key);
CREATE INDEX depends_on_last_seen IF NOT EXISTS FOR ()-[r:DEPENDS_ON]-() ON (r.lastSeen);
CREATE INDEX calls_last_seen IF NOT EXISTS FOR ()-[r:CALLS]-() ON (r.lastSeen);

// What changed since a time (the API's changes and incident context).
CREATE INDEX component_first_seen IF NOT EXISTS FOR (c:Component) ON (c.firstSeen);
CREATE INDEX operation_first_seen IF NOT EXISTS FOR (o:Operation) ON (o.firstSeen);
CREATE INDEX depends_on_first_seen IF NOT EXISTS FOR ()-[r:DEPENDS_ON]-() ON (r.firstSeen);
CREATE INDEX uses_first_seen IF NOT EXISTS FOR ()-[u:USES]-() ON (u.firstSeen);

// Sampled trace skeletons (ingest/trace-sampling.ts), found by trace id.
CREATE CONSTRAINT trace_sample_id IF NOT EXISTS FOR (t:TraceSample) REQUIRE t.traceId IS UNIQUE;
CREATE INDEX trace_sample_last_seen IF NOT EXISTS FOR (t:TraceSample) ON (t.lastSeen);

// Presence (ingest/presence.ts): retention finds the hours to prune by the oldest one held.
CREATE INDEX depends_on_present_from IF NOT EXISTS FOR ()-[r:DEPENDS_ON]-() ON (r.presentFrom);
CREATE INDEX component_present_from IF NOT EXISTS FOR (c:Component) ON (c.presentFrom);

// The declared map: Backstage catalog entities (ingest/catalog/store.ts), matched to components by name.
CREATE CONSTRAINT catalog_entity_key IF NOT EXISTS FOR (e:CatalogEntity) REQUIRE e.key IS UNIQUE;
CREATE INDEX catalog_entity_match_name IF NOT EXISTS FOR (e:CatalogEntity) ON (e.matchName);
CREATE INDEX catalog_entity_environment IF NOT EXISTS FOR (e:CatalogEntity) ON (e.environment);
CREATE INDEX catalog_entity_owner_changed IF NOT EXISTS FOR (e:CatalogEntity) ON (e.ownerChangedAt);

// A service's own versions (ingest/versions.ts); the version pairs of edges are relationships.
CREATE CONSTRAINT service_version_key IF NOT EXISTS FOR (v:ServiceVersion) REQUIRE v.key IS UNIQUE;
