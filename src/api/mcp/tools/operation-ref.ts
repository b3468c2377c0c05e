/** An operation as the tools name it: "service: operation". */
export const OPERATION_REF = /* GraphQL */ `
  fragment McpOperationRef on Operation {
    name
    component {
      name
    }
  }
`;

export interface OperationRef {
  name: string;
  component: { name: string };
}

export const operationLabel = (o: OperationRef) => `${o.component.name}: ${o.name}`;
