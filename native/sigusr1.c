// Unblocks SIGUSR1 in the calling (main) thread. Node started with --disable-sigusr1 blocks the
// signal at start-up and, with no inspector signal thread to unblock it, leaves it blocked for
// good: a listener for it (CoreDNS's reload) never runs. tsdns calls this once its own listener
// is installed, so from then on SIGUSR1 reloads and can never open an inspector.
#include <signal.h>
#include <node_api.h>

static napi_value unblock(napi_env env, napi_callback_info info) {
  (void)info;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  napi_value ok;
  napi_get_boolean(env, pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0, &ok);
  return ok;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "unblockSigusr1", NAPI_AUTO_LENGTH, unblock, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "unblockSigusr1", fn) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
