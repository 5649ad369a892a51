# compliance-gate: the GitHub App as a container. Build: docker build -t compliance-gate .
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
RUN npm ci --ignore-scripts && npx tsc -p tsconfig.json

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/lib ./lib
COPY app.yml ./
COPY bin ./bin
USER node
EXPOSE 3000
CMD ["node", "node_modules/probot/bin/probot.js", "run", "./lib/index.js"]
