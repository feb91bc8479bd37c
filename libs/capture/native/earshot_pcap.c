/*
 * earshot_pcap: live capture over libpcap for @earshot/capture, as a Node-API addon in plain C.
 *
 * Why a thread: the JavaScript event loop stalls (garbage collection, a long batch, a slow
 * callback). With libpcap read from the event loop, every stall stops the reader while the kernel
 * ring fills, and at ~13,000 packets/s a 0.3 s stall overflowed it. Here a dedicated thread drains
 * libpcap into chunks whatever JavaScript is doing, and hands full chunks to JavaScript through a
 * thread-safe function. Between the two sits a bounded queue whose overflow is counted.
 *
 * A chunk is a run of records, each: u32 ts seconds, u32 ts nanoseconds, u32 captured length,
 * u32 original length (host byte order), then the captured bytes padded to 4 bytes.
 *
 * Only Node-API (NAPI_VERSION 8) is used, so the same build runs on Node 20 and Node 24.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#define RECORD_HEADER 16u
#define ERROR_TEXT 512

typedef struct chunk {
  struct chunk *next;
  uint8_t *data;
  size_t used;
  size_t capacity;
  uint32_t packets;
} chunk_t;

/** Counters libpcap keeps as 32-bit values, widened here by adding the difference modulo 2^32. */
typedef struct {
  uint32_t last;
  uint64_t total;
} wide_counter_t;

typedef struct {
  /* Set once at open, read-only afterwards. */
  pcap_t *pcap;
  int stop_fd;
  int nanos;
  int link_type;
  size_t chunk_bytes;
  size_t queue_limit;
  uint32_t flush_ms;
  uint32_t stats_ms;
  uint32_t timeout_ms;
  napi_env env;
  napi_threadsafe_function tsfn;
  napi_ref callback;
  pthread_t thread;
  int thread_started;
  int closed;
  int hook_registered;

  /* The capture thread's own. */
  chunk_t *current;
  /*
   * Loopback only: the filter as written, run in user space on the packets stamped before the
   * kernel filter was attached (they reached the ring unfiltered); 0 when not needed.
   */
  struct bpf_program plain;
  int plain_set;
  uint64_t unfiltered_before_ns;
  struct timespec current_since;

  /* Shared between the thread and JavaScript, under the lock. */
  pthread_mutex_t lock;
  chunk_t *queue_head;
  chunk_t *queue_tail;
  size_t queued_bytes;
  int wake_pending;
  uint64_t captured_packets;
  uint64_t captured_bytes;
  uint64_t queue_dropped_packets;
  uint64_t queue_dropped_bytes;
  uint64_t truncated;
  wide_counter_t ps_recv;
  wide_counter_t ps_drop;
  wide_counter_t ps_ifdrop;
  int stats_ok;
  char error[ERROR_TEXT];
  int error_pending;
} capture_t;

static double ms_between(const struct timespec *a, const struct timespec *b) {
  return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void widen(wide_counter_t *c, unsigned int now) {
  c->total += (uint32_t)(now - c->last);
  c->last = now;
}

static chunk_t *chunk_new(size_t capacity) {
  chunk_t *c = calloc(1, sizeof(chunk_t));
  if (c == NULL) return NULL;
  c->data = malloc(capacity);
  if (c->data == NULL) {
    free(c);
    return NULL;
  }
  c->capacity = capacity;
  return c;
}

static void chunk_free(chunk_t *c) {
  if (c == NULL) return;
  free(c->data);
  free(c);
}

/** Asks JavaScript to drain the queue, once per drain (a wake-up already pending covers new chunks). Lock held. */
static void wake_locked(capture_t *cap) {
  if (cap->wake_pending) return;
  cap->wake_pending = 1;
  napi_call_threadsafe_function(cap->tsfn, NULL, napi_tsfn_nonblocking);
}

/** Reads pcap_stats into the widened counters. Capture thread only (libpcap handles are not thread-safe). */
static void read_stats(capture_t *cap) {
  struct pcap_stat ps;
  if (pcap_stats(cap->pcap, &ps) != 0) return;
  pthread_mutex_lock(&cap->lock);
  widen(&cap->ps_recv, ps.ps_recv);
  widen(&cap->ps_drop, ps.ps_drop);
  widen(&cap->ps_ifdrop, ps.ps_ifdrop);
  cap->stats_ok = 1;
  pthread_mutex_unlock(&cap->lock);
}

/** Moves the current chunk to the queue, or counts it dropped when the queue is full. Capture thread only. */
static void flush_current(capture_t *cap) {
  chunk_t *c = cap->current;
  if (c == NULL || c->packets == 0) return;
  cap->current = NULL;
  /* Give back what a chunk flushed early did not use. */
  if (c->used < c->capacity / 2) {
    uint8_t *smaller = realloc(c->data, c->used);
    if (smaller != NULL) {
      c->data = smaller;
      c->capacity = c->used;
    }
  }
  pthread_mutex_lock(&cap->lock);
  /* The queue is bounded by the memory its chunks hold, not just the bytes used in them. */
  if (cap->queued_bytes + c->capacity > cap->queue_limit) {
    cap->queue_dropped_packets += c->packets;
    cap->queue_dropped_bytes += c->used;
    pthread_mutex_unlock(&cap->lock);
    chunk_free(c);
    return;
  }
  if (cap->queue_tail == NULL) cap->queue_head = c;
  else cap->queue_tail->next = c;
  cap->queue_tail = c;
  cap->queued_bytes += c->capacity;
  wake_locked(cap);
  pthread_mutex_unlock(&cap->lock);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  capture_t *cap = (capture_t *)user;
  if (cap->unfiltered_before_ns != 0) {
    uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec * (cap->nanos ? 1u : 1000u);
    if (ts <= cap->unfiltered_before_ns && cap->plain_set && pcap_offline_filter(&cap->plain, h, bytes) == 0) return;
  }
  size_t need = RECORD_HEADER + ((h->caplen + 3u) & ~3u);
  if (cap->current != NULL && cap->current->used + need > cap->current->capacity) flush_current(cap);
  if (cap->current == NULL) {
    size_t capacity = cap->chunk_bytes > need ? cap->chunk_bytes : need;
    cap->current = chunk_new(capacity);
    if (cap->current == NULL) {
      pthread_mutex_lock(&cap->lock);
      cap->queue_dropped_packets++;
      cap->queue_dropped_bytes += need;
      pthread_mutex_unlock(&cap->lock);
      return;
    }
    clock_gettime(CLOCK_MONOTONIC, &cap->current_since);
  }
  chunk_t *c = cap->current;
  uint32_t *head = (uint32_t *)(c->data + c->used);
  head[0] = (uint32_t)h->ts.tv_sec;
  /* With nanosecond precision libpcap puts nanoseconds in tv_usec. */
  head[1] = cap->nanos ? (uint32_t)h->ts.tv_usec : (uint32_t)h->ts.tv_usec * 1000u;
  head[2] = h->caplen;
  head[3] = h->len;
  memcpy(c->data + c->used + RECORD_HEADER, bytes, h->caplen);
  size_t padded = (h->caplen + 3u) & ~3u;
  if (padded > h->caplen) memset(c->data + c->used + RECORD_HEADER + h->caplen, 0, padded - h->caplen);
  c->used += need;
  c->packets++;
  pthread_mutex_lock(&cap->lock);
  cap->captured_packets++;
  cap->captured_bytes += h->caplen;
  if (h->caplen < h->len) cap->truncated++;
  pthread_mutex_unlock(&cap->lock);
}

static void *capture_thread(void *arg) {
  capture_t *cap = (capture_t *)arg;
  struct pollfd fds[2];
  fds[0].fd = pcap_get_selectable_fd(cap->pcap);
  fds[0].events = POLLIN;
  fds[1].fd = cap->stop_fd;
  fds[1].events = POLLIN;
  struct timespec last_stats, stop_asked = {0, 0};
  int stopping = 0;
  clock_gettime(CLOCK_MONOTONIC, &last_stats);
  read_stats(cap);
  for (;;) {
    int n = pcap_dispatch(cap->pcap, -1, on_packet, (u_char *)cap);
    if (n < 0 && n != PCAP_ERROR_BREAK) {
      pthread_mutex_lock(&cap->lock);
      snprintf(cap->error, ERROR_TEXT, "%s", pcap_geterr(cap->pcap));
      cap->error_pending = 1;
      pthread_mutex_unlock(&cap->lock);
      break;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (cap->current != NULL && ms_between(&cap->current_since, &now) >= cap->flush_ms) flush_current(cap);
    if (ms_between(&last_stats, &now) >= cap->stats_ms) {
      read_stats(cap);
      last_stats = now;
    }
    if (stopping && ms_between(&stop_asked, &now) >= cap->timeout_ms + 5.0) break;
    if (n > 0) continue;
    /* Nothing ready: sleep until a block is ready, stop is asked, or the next flush or stats read is due. */
    double wait = cap->stats_ms - ms_between(&last_stats, &now);
    if (stopping) wait = 1;
    if (cap->current != NULL) {
      double flush_in = cap->flush_ms - ms_between(&cap->current_since, &now);
      if (flush_in < wait) wait = flush_in;
    }
    int timeout = wait < 1 ? 1 : (int)wait;
    int r = poll(fds, 2, timeout);
    if (r < 0 && errno != EINTR) break;
    if (r > 0 && (fds[1].revents & POLLIN) && !stopping) {
      /*
       * Stop asked: keep reading for one read timeout more, so the kernel hands over the block
       * holding the last packets (it does so only when the timeout retires it).
       */
      uint64_t value;
      ssize_t got = read(cap->stop_fd, &value, sizeof value);
      (void)got;
      fds[1].events = 0;
      stopping = 1;
      clock_gettime(CLOCK_MONOTONIC, &stop_asked);
    }
  }
  /* Whatever was read before stop is handed over; the last counts are read while the handle is open. */
  flush_current(cap);
  read_stats(cap);
  pthread_mutex_lock(&cap->lock);
  if (cap->error_pending) wake_locked(cap);
  pthread_mutex_unlock(&cap->lock);
  return NULL;
}

/* ---------------------------------------------------------------- JavaScript side */

#define CHECK(env, call)                                                       \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      const napi_extended_error_info *info_ = NULL;                            \
      napi_get_last_error_info((env), &info_);                                 \
      napi_throw_error((env), NULL,                                            \
                       info_ && info_->error_message ? info_->error_message    \
                                                     : "Node-API call failed"); \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

static void free_chunk_data(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  chunk_free((chunk_t *)hint);
}

/** Hands the queued chunks to the JavaScript callback as (ArrayBuffer, packets). */
static void deliver(napi_env env, capture_t *cap) {
  napi_value callback, global;
  if (napi_get_reference_value(env, cap->callback, &callback) != napi_ok || callback == NULL) return;
  napi_get_global(env, &global);
  for (;;) {
    pthread_mutex_lock(&cap->lock);
    chunk_t *c = cap->queue_head;
    if (c != NULL) {
      cap->queue_head = c->next;
      if (cap->queue_head == NULL) cap->queue_tail = NULL;
      cap->queued_bytes -= c->capacity;
    }
    int error_pending = cap->error_pending;
    char error[ERROR_TEXT];
    if (c == NULL && error_pending) {
      memcpy(error, cap->error, ERROR_TEXT);
      cap->error_pending = 0;
    }
    pthread_mutex_unlock(&cap->lock);
    napi_value argv[2];
    if (c == NULL) {
      if (!error_pending) return;
      napi_get_null(env, &argv[0]);
      napi_create_string_utf8(env, error, NAPI_AUTO_LENGTH, &argv[1]);
    } else {
      c->next = NULL;
      napi_status st = napi_create_external_arraybuffer(env, c->data, c->used, free_chunk_data, c, &argv[0]);
      if (st != napi_ok) {
        /* Runtimes that refuse external buffers get a copy. */
        void *copy = NULL;
        st = napi_create_arraybuffer(env, c->used, &copy, &argv[0]);
        if (st == napi_ok) memcpy(copy, c->data, c->used);
        chunk_free(c);
        if (st != napi_ok) return;
      }
      napi_get_undefined(env, &argv[1]);
    }
    napi_value result;
    if (napi_call_function(env, global, callback, 2, argv, &result) != napi_ok) {
      /* The listener threw: the exception surfaces as uncaught; the rest waits for the next wake-up. */
      pthread_mutex_lock(&cap->lock);
      if (cap->queue_head != NULL || cap->error_pending) {
        cap->wake_pending = 0;
        if (!cap->closed) wake_locked(cap);
      }
      pthread_mutex_unlock(&cap->lock);
      return;
    }
  }
}

static void call_js(napi_env env, napi_value js_callback, void *context, void *data) {
  (void)js_callback;
  (void)data;
  capture_t *cap = (capture_t *)context;
  if (env == NULL) return; /* Node is tearing down; close() frees the queue. */
  pthread_mutex_lock(&cap->lock);
  cap->wake_pending = 0;
  pthread_mutex_unlock(&cap->lock);
  deliver(env, cap);
}

/**
 * Stops the thread, closes libpcap and releases the thread-safe function. Idempotent. With
 * deliver_rest, the chunks read before stop are handed to JavaScript first.
 */
static void close_capture(napi_env env, capture_t *cap, int deliver_rest) {
  if (cap->closed) return;
  cap->closed = 1;
  if (cap->thread_started) {
    uint64_t one = 1;
    ssize_t w = write(cap->stop_fd, &one, sizeof one);
    (void)w;
    pthread_join(cap->thread, NULL);
    cap->thread_started = 0;
  }
  if (deliver_rest && env != NULL) deliver(env, cap);
  pthread_mutex_lock(&cap->lock);
  chunk_t *c = cap->queue_head;
  cap->queue_head = cap->queue_tail = NULL;
  cap->queued_bytes = 0;
  pthread_mutex_unlock(&cap->lock);
  while (c != NULL) {
    chunk_t *next = c->next;
    chunk_free(c);
    c = next;
  }
  chunk_free(cap->current);
  cap->current = NULL;
  if (cap->pcap != NULL) pcap_close(cap->pcap);
  cap->pcap = NULL;
  if (cap->plain_set) pcap_freecode(&cap->plain);
  cap->plain_set = 0;
  if (cap->stop_fd >= 0) close(cap->stop_fd);
  cap->stop_fd = -1;
  if (cap->tsfn != NULL) napi_release_threadsafe_function(cap->tsfn, napi_tsfn_abort);
  cap->tsfn = NULL;
}

static void cleanup_hook(void *arg) {
  capture_t *cap = (capture_t *)arg;
  cap->hook_registered = 0;
  close_capture(NULL, cap, 0);
}

static void finalize_capture(napi_env env, void *data, void *hint) {
  (void)hint;
  capture_t *cap = (capture_t *)data;
  if (!cap->closed) {
    close_capture(NULL, cap, 0);
  }
  if (cap->hook_registered) napi_remove_env_cleanup_hook(env, cleanup_hook, cap);
  if (cap->callback != NULL) napi_delete_reference(env, cap->callback);
  pthread_mutex_destroy(&cap->lock);
  free(cap);
}

static int get_u32(napi_env env, napi_value obj, const char *name, uint32_t fallback, uint32_t *out) {
  napi_value v;
  napi_valuetype t;
  *out = fallback;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return 0;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return 1;
  if (t != napi_number) return 0;
  double d;
  napi_get_value_double(env, v, &d);
  if (d < 0 || d > 4294967295.0) return 0;
  *out = (uint32_t)d;
  return 1;
}

static int get_string(napi_env env, napi_value obj, const char *name, char *out, size_t size) {
  napi_value v;
  napi_valuetype t;
  size_t len;
  out[0] = 0;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return 0;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return 1;
  if (t != napi_string) return 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len + 1 > size) return 0;
  napi_get_value_string_utf8(env, v, out, size, &len);
  return 1;
}

/** True when libpcap lists the device as a loopback interface. */
static int is_loopback(const char *device) {
  pcap_if_t *all = NULL;
  char errbuf[PCAP_ERRBUF_SIZE];
  int loopback = 0;
  if (pcap_findalldevs(&all, errbuf) != 0) return 0;
  for (pcap_if_t *d = all; d != NULL; d = d->next) {
    if (strcmp(d->name, device) == 0) loopback = (d->flags & PCAP_IF_LOOPBACK) != 0;
  }
  pcap_freealldevs(all);
  return loopback;
}

static napi_value throw_open(napi_env env, capture_t *cap, const char *what, const char *detail) {
  char message[ERROR_TEXT + 256];
  snprintf(message, sizeof message, "%s: %s", what, detail);
  if (cap != NULL) {
    if (cap->plain_set) pcap_freecode(&cap->plain);
    if (cap->pcap != NULL) pcap_close(cap->pcap);
    if (cap->stop_fd >= 0) close(cap->stop_fd);
    pthread_mutex_destroy(&cap->lock);
    free(cap);
  }
  napi_throw_error(env, "open-failed", message);
  return NULL;
}

/**
 * open({ interface, filter, snapLength, bufferSize, timeoutMs, chunkSize, queueSize, flushMs,
 * statsMs }, onChunk) → handle. onChunk(ArrayBuffer | null, errorText) runs on the JavaScript
 * thread. Throws an Error with code 'open-failed' and libpcap's message.
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype t0, t1;
  if (argc < 2) return throw_open(env, NULL, "open", "expects (options, onChunk)");
  napi_typeof(env, argv[0], &t0);
  napi_typeof(env, argv[1], &t1);
  if (t0 != napi_object || t1 != napi_function) return throw_open(env, NULL, "open", "expects (options, onChunk)");

  char device[256], filter[8192];
  uint32_t snaplen, buffer_size, timeout_ms, chunk_size, queue_size, flush_ms, stats_ms;
  if (!get_string(env, argv[0], "interface", device, sizeof device) || device[0] == 0) return throw_open(env, NULL, "open", "interface must be a name");
  if (!get_string(env, argv[0], "filter", filter, sizeof filter)) return throw_open(env, NULL, "open", "filter must be a string under 8 KiB");
  if (!get_u32(env, argv[0], "snapLength", 65535, &snaplen) || !get_u32(env, argv[0], "bufferSize", 128u << 20, &buffer_size) ||
      !get_u32(env, argv[0], "timeoutMs", 10, &timeout_ms) || !get_u32(env, argv[0], "chunkSize", 1u << 20, &chunk_size) ||
      !get_u32(env, argv[0], "queueSize", 128u << 20, &queue_size) || !get_u32(env, argv[0], "flushMs", 10, &flush_ms) ||
      !get_u32(env, argv[0], "statsMs", 250, &stats_ms)) {
    return throw_open(env, NULL, "open", "numeric options must be non-negative integers");
  }

  capture_t *cap = calloc(1, sizeof(capture_t));
  if (cap == NULL) return throw_open(env, NULL, device, "out of memory");
  pthread_mutex_init(&cap->lock, NULL);
  cap->stop_fd = -1;
  cap->chunk_bytes = chunk_size < 4096 ? 4096 : chunk_size;
  cap->queue_limit = queue_size;
  cap->flush_ms = flush_ms == 0 ? 1 : flush_ms;
  cap->timeout_ms = timeout_ms == 0 ? 1 : timeout_ms;
  cap->stats_ms = stats_ms == 0 ? 1 : stats_ms;
  cap->env = env;

  char errbuf[PCAP_ERRBUF_SIZE];
  errbuf[0] = 0;
  cap->pcap = pcap_create(device, errbuf);
  if (cap->pcap == NULL) return throw_open(env, cap, device, errbuf);
  pcap_set_snaplen(cap->pcap, (int)snaplen);
  pcap_set_promisc(cap->pcap, 1);
  pcap_set_buffer_size(cap->pcap, (int)buffer_size);
  /*
   * Not immediate mode: libpcap then uses TPACKET_V3, which packs packets into the ring's blocks
   * (a 200-byte RTP packet takes ~300 bytes) and hands a block over when it is full or when the
   * read timeout retires it. Immediate mode would use TPACKET_V2, one frame per packet as large
   * as the interface's largest packet: 64 KiB on `lo`, so 64 MiB would hold only 1,000 packets.
   */
  pcap_set_immediate_mode(cap->pcap, 0);
  pcap_set_timeout(cap->pcap, (int)(timeout_ms == 0 ? 1 : timeout_ms));
  cap->nanos = pcap_set_tstamp_precision(cap->pcap, PCAP_TSTAMP_PRECISION_NANO) == 0;
  int st = pcap_activate(cap->pcap);
  if (st < 0) {
    char detail[ERROR_TEXT];
    const char *text = pcap_geterr(cap->pcap);
    if (text == NULL || text[0] == 0) snprintf(detail, sizeof detail, "%s", pcap_statustostr(st));
    else snprintf(detail, sizeof detail, "%s (%s)", text, pcap_statustostr(st));
    return throw_open(env, cap, device, detail);
  }
  cap->nanos = pcap_get_tstamp_precision(cap->pcap) == PCAP_TSTAMP_PRECISION_NANO;
  cap->link_type = pcap_datalink(cap->pcap);
  if (pcap_setnonblock(cap->pcap, 1, errbuf) != 0) return throw_open(env, cap, device, errbuf);
  if (pcap_get_selectable_fd(cap->pcap) < 0) return throw_open(env, cap, device, "no selectable descriptor");
  cap->stop_fd = eventfd(0, EFD_CLOEXEC);
  if (cap->stop_fd < 0) return throw_open(env, cap, device, strerror(errno));
  /*
   * The filter as written, checked by libpcap (and, on a loopback interface, used to sort the
   * packets that reached the ring before the kernel filter was attached).
   */
  if (filter[0] != 0) {
    if (pcap_compile(cap->pcap, &cap->plain, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
      char detail[ERROR_TEXT + 64];
      snprintf(detail, sizeof detail, "bad filter: %s", pcap_geterr(cap->pcap));
      return throw_open(env, cap, device, detail);
    }
    cap->plain_set = 1;
  }
  /*
   * A loopback interface hands the packet socket every packet twice, outgoing and incoming, and
   * libpcap throws the outgoing copy away only after it took a ring frame. Rejecting it in the
   * kernel ("inbound") halves the ring's load and makes the drop counts count packets, not
   * copies. libpcap's pcap_setfilter would also run that filter in user space over the blocks
   * already in the ring, where "inbound" cannot be evaluated and drops every packet, so the program
   * is attached to the socket here, and the packets stamped before that are sorted by the plain
   * filter in on_packet (libpcap itself skips the outgoing copies on loopback).
   */
  int loopback = cap->link_type == DLT_EN10MB && is_loopback(device);
  if (loopback) {
    char inbound[sizeof filter + 32];
    if (filter[0] != 0) snprintf(inbound, sizeof inbound, "inbound and (%s)", filter);
    else snprintf(inbound, sizeof inbound, "inbound");
    struct bpf_program prog;
    if (pcap_compile(cap->pcap, &prog, inbound, 1, PCAP_NETMASK_UNKNOWN) != 0) {
      char detail[ERROR_TEXT + 64];
      snprintf(detail, sizeof detail, "bad filter: %s", pcap_geterr(cap->pcap));
      return throw_open(env, cap, device, detail);
    }
    struct sock_fprog kernel_prog = {.len = (unsigned short)prog.bf_len, .filter = (struct sock_filter *)prog.bf_insns};
    int set = setsockopt(pcap_fileno(cap->pcap), SOL_SOCKET, SO_ATTACH_FILTER, &kernel_prog, sizeof kernel_prog);
    pcap_freecode(&prog);
    if (set != 0) {
      char detail[ERROR_TEXT];
      snprintf(detail, sizeof detail, "cannot attach the filter: %s", strerror(errno));
      return throw_open(env, cap, device, detail);
    }
    struct timespec attached;
    clock_gettime(CLOCK_REALTIME, &attached);
    cap->unfiltered_before_ns = (uint64_t)attached.tv_sec * 1000000000u + (uint64_t)attached.tv_nsec;
  } else if (cap->plain_set) {
    int set = pcap_setfilter(cap->pcap, &cap->plain);
    if (set != 0) {
      char detail[ERROR_TEXT + 64];
      snprintf(detail, sizeof detail, "cannot set filter: %s", pcap_geterr(cap->pcap));
      return throw_open(env, cap, device, detail);
    }
  }

  napi_value resource_name;
  napi_create_string_utf8(env, "earshot-pcap", NAPI_AUTO_LENGTH, &resource_name);
  if (napi_create_reference(env, argv[1], 1, &cap->callback) != napi_ok ||
      napi_create_threadsafe_function(env, NULL, NULL, resource_name, 0, 1, NULL, NULL, cap, call_js, &cap->tsfn) != napi_ok) {
    if (cap->callback != NULL) napi_delete_reference(env, cap->callback);
    return throw_open(env, cap, device, "cannot create the thread-safe function");
  }
  if (pthread_create(&cap->thread, NULL, capture_thread, cap) != 0) {
    napi_release_threadsafe_function(cap->tsfn, napi_tsfn_abort);
    napi_delete_reference(env, cap->callback);
    return throw_open(env, cap, device, "cannot start the capture thread");
  }
  cap->thread_started = 1;
  if (napi_add_env_cleanup_hook(env, cleanup_hook, cap) == napi_ok) cap->hook_registered = 1;

  napi_value handle, link;
  CHECK(env, napi_create_object(env, &handle));
  CHECK(env, napi_wrap(env, handle, cap, finalize_capture, NULL, NULL));
  napi_create_int32(env, cap->link_type, &link);
  napi_set_named_property(env, handle, "linkType", link);
  napi_value nanos;
  napi_get_boolean(env, cap->nanos, &nanos);
  napi_set_named_property(env, handle, "nanosecondTimestamps", nanos);
  return handle;
}

static capture_t *unwrap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_unwrap(env, argv[0], &data) != napi_ok) {
    napi_throw_type_error(env, NULL, "expects a capture handle");
    return NULL;
  }
  return (capture_t *)data;
}

/** close(handle): stops the thread, delivers what it read, closes libpcap. Idempotent. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  capture_t *cap = unwrap(env, info);
  if (cap == NULL) return NULL;
  if (!cap->closed) {
    close_capture(env, cap, 1);
    if (cap->hook_registered) napi_remove_env_cleanup_hook(env, cleanup_hook, cap);
    cap->hook_registered = 0;
  }
  return NULL;
}

static void set_number(napi_env env, napi_value obj, const char *name, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, name, v);
}

/** stats(handle): the thread's last pcap_stats (null counters until the first read) and its own counts. */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  capture_t *cap = unwrap(env, info);
  if (cap == NULL) return NULL;
  napi_value out;
  CHECK(env, napi_create_object(env, &out));
  pthread_mutex_lock(&cap->lock);
  int ok = cap->stats_ok;
  double recv = (double)cap->ps_recv.total, drop = (double)cap->ps_drop.total, ifdrop = (double)cap->ps_ifdrop.total;
  double packets = (double)cap->captured_packets, bytes = (double)cap->captured_bytes, truncated = (double)cap->truncated;
  double qdrop = (double)cap->queue_dropped_packets, qdrop_bytes = (double)cap->queue_dropped_bytes, queued = (double)cap->queued_bytes;
  pthread_mutex_unlock(&cap->lock);
  if (ok) {
    set_number(env, out, "received", recv);
    set_number(env, out, "kernelDrops", drop);
    set_number(env, out, "interfaceDrops", ifdrop);
  } else {
    napi_value null;
    napi_get_null(env, &null);
    napi_set_named_property(env, out, "received", null);
    napi_set_named_property(env, out, "kernelDrops", null);
    napi_set_named_property(env, out, "interfaceDrops", null);
  }
  set_number(env, out, "captured", packets);
  set_number(env, out, "capturedBytes", bytes);
  set_number(env, out, "truncated", truncated);
  set_number(env, out, "queueDrops", qdrop);
  set_number(env, out, "queueDroppedBytes", qdrop_bytes);
  set_number(env, out, "queuedBytes", queued);
  return out;
}

/** interfaces(): names of the devices libpcap can open. */
static napi_value js_interfaces(napi_env env, napi_callback_info info) {
  (void)info;
  pcap_if_t *all = NULL;
  char errbuf[PCAP_ERRBUF_SIZE];
  if (pcap_findalldevs(&all, errbuf) != 0) {
    napi_throw_error(env, "open-failed", errbuf);
    return NULL;
  }
  napi_value out;
  CHECK(env, napi_create_array(env, &out));
  uint32_t i = 0;
  for (pcap_if_t *d = all; d != NULL; d = d->next) {
    napi_value name;
    napi_create_string_utf8(env, d->name, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, out, i++, name);
  }
  pcap_freealldevs(all);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
      {"interfaces", NULL, js_interfaces, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value version;
  napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "libpcapVersion", version);
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
