# syntax=docker/dockerfile:1
# Multi-stage: compile with dev dependencies, then ship only dist/ and production dependencies on
# Node 22 LTS, running as a non-root numeric user (Kubernetes' runAsNonRoot can verify a number).

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# uid/gid 1000 is the image's `node` user; the chart's securityContext uses the same numbers.
USER 1000:1000
EXPOSE 9443 15014
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["serve", "--host", "0.0.0.0"]
