{
  "targets": [
    {
      "target_name": "sigusr1",
      "sources": ["native/sigusr1.c"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
