/** An operation as the tools name it: "service: operation". */
export const OPERATION_REF = /* GraphQL */ `
  fragment McpOperationRef on Operation {
    name
    component {
      name
    }
  }
`;

/** The two operations of a hop (a call between operations), for a hop's selection. */
export const HOP_ENDS = /* GraphQL */ `
        from {
          ...McpOperationRef
        }
        to {
          ...McpOperationRef
        }
`;

export interface OperationRef {
  name: string;
  component: { name: string };
}

export const operationLabel = (o: OperationRef) => `${o.component.name}: ${o.name}`;

/** A hop's depth and its two operations as labels. */
export const hopLabels = (h: { depth: number; from: OperationRef; to: OperationRef }) => ({
  depth: h.depth,
  from: operationLabel(h.from),
  to: operationLabel(h.to),
});
