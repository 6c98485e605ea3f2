# Build stage: `npm ci` compiles the native feature kernel (hashing/features/native, node-gyp), which
# needs python3, make and g++; the image that runs keeps only the result.
FROM node:24-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# node-gyp takes Node's headers from the image instead of downloading them.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
COPY hashing/features/native/binding.gyp hashing/features/native/features.c hashing/features/native/
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg chromium fonts-nanum ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/hashing/features/native/build/Release/staydown_features.node ./hashing/features/native/build/Release/
ENV STAYDOWN_DATA_DIR=/data NODE_ENV=production
VOLUME /data
EXPOSE 8080
USER node
ENTRYPOINT ["node", "--initial-old-space-size=64", "bin/staydown.js"]
CMD ["serve"]
