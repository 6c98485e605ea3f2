{
  "targets": [
    {
      "target_name": "staydown_features",
      "sources": ["features.c"],
      "cflags!": ["-ffast-math"],
      "cflags": ["-std=c11", "-O3", "-ffp-contract=off", "-fno-fast-math", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=c11", "-O3", "-ffp-contract=off", "-fno-fast-math"]
      }
    }
  ]
}
