/** The GraphQL schema: every type file registers itself on the builder; this assembles them. */
import { builder } from './builder.js';
import './scalars.js';
import './types/measure.js';
import './types/component.js';
import './types/environment.js';
import './types/operation.js';
import './types/tag.js';
import './types/library.js';
import './types/service-libraries.js';
import './types/topology.js';
import './types/change.js';
import './types/incident.js';
import './types/correlation.js';
import './types/footprint.js';
import './types/trace.js';
import './types/catalog.js';

builder.queryType({ description: 'Topograph: the map of a software system, rebuilt continuously from its traces.' });

export const schema = builder.toSchema({ sortSchema: true });
