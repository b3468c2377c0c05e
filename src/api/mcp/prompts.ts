/**
 * The MCP prompts: two questions an on-call engineer asks often, written out as the sequence of tool
 * calls that answers them, so an agent starts from a good plan.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

const text = (t: string) => ({ messages: [{ role: 'user' as const, content: { type: 'text' as const, text: t } }] });
const envClause = (environment?: string) => (environment ? ` in environment "${environment}"` : '');
const envArg = (environment?: string) => (environment ? `, "environment": ${JSON.stringify(environment)}` : '');

// Built once, as the tools' inputs are (the HTTP endpoint builds a server per request).
const environment = z.string().max(256).optional().describe('deployment.environment.name');
const BLAST_RADIUS_ARGS = {
  component: z.string().min(1).max(256).describe('The component that fails, e.g. "payments".'),
  environment,
};
const INCIDENT_CHANGES_ARGS = {
  service: z.string().min(1).max(256).describe('The failing service, e.g. "payments".'),
  environment,
  since: z.string().max(40).optional().describe('Since when, e.g. "today", "6h" or an ISO-8601 instant.'),
};

export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    'blast_radius',
    {
      title: 'Explain the blast radius of a component',
      description: 'What breaks, and for whom, if a component fails.',
      argsSchema: BLAST_RADIUS_ARGS,
    },
    ({ component, environment }) =>
      text(
        [
          `Explain the blast radius of "${component}"${envClause(environment)}: what breaks if it fails.`,
          `1. Call the dependencies tool for the dependents: {"name": ${JSON.stringify(component)}, "direction": "dependents", "depth": 5${envArg(environment)}}.`,
          `2. For the entry points among them (the components with no dependents of their own), call incident_context to see their traffic and owners.`,
          `3. Call dependencies with direction "dependencies" and depth 1 to say what "${component}" itself relies on.`,
          'Answer with: the directly affected callers, the transitively affected ones by depth, the user-facing entry points and their request volume, and whom to tell (owners). Name only what the tools returned.',
        ].join('\n'),
      ),
  );

  server.registerPrompt(
    'incident_changes',
    {
      title: 'What changed around this incident',
      description: 'The changes around a failing service and its neighbours, against its errors.',
      argsSchema: INCIDENT_CHANGES_ARGS,
    },
    ({ service, environment, since }) =>
      text(
        [
          `What changed around the incident on "${service}"${envClause(environment)}${since ? ` since ${since}` : ''}?`,
          `1. Call incident_context: {"service": ${JSON.stringify(service)}, "window": "1h", "changesSince": ${JSON.stringify(since ?? '24h')}${envArg(environment)}}.`,
          `2. Call changes: {"since": ${JSON.stringify(since ?? '24h')}${envArg(environment)}} for changes further out.`,
          `3. Call error_correlations for "${service}" to see whether one tenant, version or route carries its errors.`,
          '4. With a failing exemplar trace id, call trace_skeleton to see where the failure sits.',
          'Answer with the changes that precede the errors, newest first, and say which one most likely matters and why; keep apart what the tools showed and what you infer.',
        ].join('\n'),
      ),
  );
}
