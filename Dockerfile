FROM node:24-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg chromium fonts-nanum ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV STAYDOWN_DATA_DIR=/data NODE_ENV=production
VOLUME /data
EXPOSE 8080
USER node
ENTRYPOINT ["node", "bin/staydown.js"]
CMD ["serve"]
