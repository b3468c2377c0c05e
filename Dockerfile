# One image for both processes: `npx tsx ingest/main.ts` (worker) or `npx tsx src/api/main.ts` (API).
FROM node:20-bookworm-slim
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
