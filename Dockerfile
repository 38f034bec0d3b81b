# Vectra in a container: the server and the dashboard, built from this checkout.
# docker build -t vectra . && docker run -p 8080:8080 -v vectra-data:/data vectra
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY packages ./packages
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
ENV HOST=0.0.0.0 PORT=8080 VECTRA_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
CMD ["node", "--max-semi-space-size=4", "dist/cli/main.js", "serve"]
