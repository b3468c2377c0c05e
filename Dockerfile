# One image for both processes: `npx tsx ingest/main.ts` (worker) or `npx tsx src/api/main.ts` (API), on the
# image's Node.js 24 LTS (the `node` package the npm scripts run on is a dev dependency, left out here).
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY ingest ./ingest
COPY schema ./schema
COPY examples ./examples
COPY tsconfig.json ./
RUN mkdir /spool && chown node:node /spool
USER node
CMD ["npx", "tsx", "ingest/main.ts"]
