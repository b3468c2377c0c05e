/**
 * How the MCP tools ask their questions: as GraphQL documents sent through the API's own request
 * handling (`yoga.fetch` on /graphql), so the bearer scopes, size and token limits, depth and cost
 * rules and error masking of /graphql apply to them unchanged. No socket is involved.
 */

export interface GraphqlError {
  message: string;
  extensions?: { code?: string };
}

export interface GraphqlAnswer {
  // Each tool reads the shape of its own document.
  data?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  errors?: GraphqlError[];
}

export type AskGraphql = (document: string, variables?: Record<string, unknown>) => Promise<GraphqlAnswer>;

/** The one method of the yoga server the tools need. */
export type FetchHandler = (url: string, init: RequestInit) => Promise<Response> | Response;

/** An asker that presents `authorization` (the MCP caller's bearer header) to /graphql. */
export function graphqlOver(fetchApi: FetchHandler, authorization?: string | null): AskGraphql {
  return async (document, variables = {}) => {
    const body = JSON.stringify({ query: document, variables });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    };
    if (authorization) headers.authorization = authorization;
    const res = await fetchApi('http://topograph/graphql', { method: 'POST', headers, body });
    return (await res.json()) as GraphqlAnswer;
  };
}

/** The data of an answer; its errors (masked by the API) thrown as one Error, each with its code. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function askData(ask: AskGraphql, document: string, variables?: Record<string, unknown>): Promise<any> {
  const answer = await ask(document, variables);
  if (answer.errors?.length) {
    throw new Error(
      answer.errors.map((e) => (e.extensions?.code ? `${e.extensions.code}: ${e.message}` : e.message)).join('\n'),
    );
  }
  return answer.data;
}
