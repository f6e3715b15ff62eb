/* SPDX-License-Identifier: MIT */
// shim-private.h — the shim's internal structures. C++17, never installed.
//
// The handles of the C API are defined here as plain structs:
//   cqt_thread  — a thread context: its mailbox and loop state
//   cqt_object  — affinity, refcount, lazily created QObject for timers
//   cqt_signal  — copy-on-write connection list
//   cqt_timer   — a handle over an object timer
#ifndef CQT_SHIM_PRIVATE_H
#define CQT_SHIM_PRIVATE_H

#include <QtCore/QCoreApplication>
#include <QtCore/QEvent>
#include <QtCore/QObject>
#include <QtCore/QThread>

#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

extern "C" {
#include <cqt/cqt.h>
#include "cqt-internal.h"
}
#include "../common/guard.h"
#include "lock.h"

class QThreadPool;

// ThreadSanitizer cannot see synchronisation inside Qt (uninstrumented):
// QThread::wait() and QThreadPool::waitForDone() join threads without any
// happens-before edge TSan knows of. These annotations state the edge
// where the join gives it; they compile to nothing in other builds.
#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void *addr);
extern "C" void __tsan_release(void *addr);
#define CQT_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#define CQT_TSAN_RELEASE(p) __tsan_release((void *)(p))
#else
#define CQT_TSAN_ACQUIRE(p) ((void)0)
#define CQT_TSAN_RELEASE(p) ((void)0)
#endif

namespace cqt {

constexpr uint32_t kThreadMagic = 0x43515454u; // "CQTT"
constexpr uint32_t kObjectMagic = 0x4351544fu; // "CQTO"
constexpr uint32_t kSignalMagic = 0x43515453u; // "CQTS"
constexpr uint32_t kTimerMagic = 0x4351544du;  // "CQTM"
constexpr size_t kNameMax = 64;

// ---- errors (error.cpp) ---------------------------------------------------

int fail(int status, const char *fmt, ...) CQT_PRINTF(2, 3);
int vfail(int status, const char *fmt, va_list ap);
void copy_name(char (&dst)[kNameMax], const char *src, const char *prefix, uint64_t n);
void log_message(cqt_msg_type type, const char *category, const char *message);

// The exception barrier of every entry point (shim/common/guard.h, shared
// with libcqt-widgets).
using cqt_shim::guard;
using cqt_shim::guard_void;

// A C caller may pass any int where an enum parameter is declared; in C++
// loading an out-of-range enum is undefined, so the shim reads such
// parameters through their bytes and works on the int.
template <class E>
int enum_int(const E &e)
{
    static_assert(sizeof(E) == sizeof(int), "C enums are int-sized here");
    int v;
    std::memcpy(&v, &e, sizeof v);
    return v;
}

// ---- values on the delivery path -------------------------------------------

// cqt_value_copy / cqt_value_clear, inline for the types stored in the
// value itself (none, bool, int, double): no reference to take or drop.
inline void value_copy_fast(cqt_value *dst, const cqt_value *src)
{
    const int32_t ty = src->type_;
    if (ty == CQT_VALUE_NONE) {
        dst->type_ = CQT_VALUE_NONE;
        dst->code_ = 0;
        dst->u_.i = 0;
    } else if (ty > CQT_VALUE_NONE && ty <= CQT_VALUE_DOUBLE) {
        *dst = *src;
    } else {
        cqt_value_copy(dst, src);
    }
}
inline void value_clear_fast(cqt_value *v)
{
    const int32_t ty = v->type_;
    if (ty >= CQT_VALUE_NONE && ty <= CQT_VALUE_DOUBLE) {
        v->type_ = CQT_VALUE_NONE;
        v->code_ = 0;
        v->u_.i = 0;
    } else {
        cqt_value_clear(v);
    }
}

// ---- deliveries (mailbox.cpp) ---------------------------------------------

// A connection (signal.cpp owns its lifecycle; the mailbox runs it).
struct Conn {
    std::atomic<int> refs{1};
    std::atomic<bool> active{true};
    uint64_t id = 0;
    cqt_signal *sig = nullptr;
    cqt_object *receiver = nullptr; // holds a reference
    cqt_slot_fn fn = nullptr;
    void *user_data = nullptr;
    cqt_destroy_fn destroy = nullptr;
    int type = CQT_AUTO; // a cqt_conn, checked at connect
};

// A blocking caller waits on this (on its own stack).
struct Completion {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    int status = CQT_OK;
    void complete(int st);
    void wait();
};

enum DeliveryKind : uint8_t { kNone, kCall, kSlot, kInternal };

// One queued delivery, stored by value in a mailbox vector: the steady path
// allocates nothing per delivery once the vectors have grown.
struct Delivery {
    DeliveryKind kind;
    cqt_object *target; // holds a reference; nullptr for thread-level work
    Completion *done;   // blocking callers only
    union {
        struct {
            cqt_fn fn;
            void *user_data;
            cqt_destroy_fn destroy;
        } call;
        struct {
            Conn *conn; // holds a reference
            cqt_value arg;
        } slot;
        struct {
            void (*run)(void *);
            void (*drop)(void *); // runs instead of run when the target is gone
            void *arg;
        } internal;
    };
};

// Mailbox storage: deliveries in fixed blocks. Appending never moves a
// stored item (no reallocation copies, no page-faulting a doubled array),
// and spent blocks are recycled through the receiving thread's spare list.
struct DeliveryBlock {
    static constexpr uint32_t kCap = 64;
    DeliveryBlock *next;
    uint32_t end; // items [0, end) are written
    Delivery items[kCap];
};

// A bounded stack of blank blocks.
struct BlockCache {
    static constexpr int kKeep = 16; // about 50 kB per thread at most
    DeliveryBlock *list = nullptr;
    int n = 0;
    BlockCache() = default;
    BlockCache(const BlockCache &) = delete;
    BlockCache &operator=(const BlockCache &) = delete;
    ~BlockCache();
    DeliveryBlock *get();
    void put(DeliveryBlock *b);   // frees b when kKeep are kept already
    void absorb(BlockCache &other); // takes other's blocks (up to kKeep)
};

// A FIFO of deliveries. Not thread-safe: the pending queue is guarded by
// its thread's mu, the draining one belongs to the thread itself.
struct DeliveryQueue {
    DeliveryBlock *head = nullptr, *tail = nullptr;
    uint32_t pos = 0; // next item to read in head
    size_t count = 0; // items from pos on (dropped-in-place ones included)

    DeliveryQueue() = default;
    DeliveryQueue(const DeliveryQueue &) = delete;
    DeliveryQueue &operator=(const DeliveryQueue &) = delete;
    ~DeliveryQueue(); // frees the blocks; the items must be dealt with already

    bool empty() const { return count == 0; }
    // Appends a slot for the caller to fill (may throw bad_alloc: then
    // nothing changed). Inline: it is on every post.
    Delivery *push_slot(BlockCache &cache)
    {
        if (__builtin_expect(!tail || tail->end == DeliveryBlock::kCap, 0))
            grow(cache);
        count++;
        return &tail->items[tail->end++];
    }
    void push(const Delivery &d, BlockCache &cache) { *push_slot(cache) = d; }
    void grow(BlockCache &cache); // a new tail block
    // A new tail block from @cache only (no allocation): false if empty.
    bool grow_cached(BlockCache &cache) noexcept
    {
        DeliveryBlock *b = cache.list;
        if (!b)
            return false;
        cache.list = b->next;
        cache.n--;
        b->next = nullptr;
        b->end = 0;
        if (tail)
            tail->next = b;
        else
            head = b, pos = 0;
        tail = b;
        return true;
    }
    Delivery &front() { return head->items[pos]; }
    // A block read to its end goes to @spent.
    void pop(BlockCache &spent)
    {
        count--;
        if (__builtin_expect(++pos == head->end, 0))
            next_block(spent);
    }
    void next_block(BlockCache &spent);
    void take(DeliveryQueue &from); // *this must be empty
    template <class F>
    void for_each(F &&f)
    {
        uint32_t i = pos;
        for (DeliveryBlock *b = head; b; b = b->next, i = 0)
            for (; i < b->end; i++)
                f(b->items[i]);
    }
};

// Runs a delivery, or drops it when its target is dead. The target's
// reference is not released: the caller does (batched in drain).
void deliver(Delivery &d);
// Releases a delivery without running it (payload, refs, blocking waiter).
void drop_delivery(Delivery &d, int status);

} // namespace cqt

// ---- thread context (thread.cpp) ------------------------------------------

enum class ThreadKind : uint8_t { Main, Cqt, Adopted };
// New -> Running -> Stopping -> Finished (-> Running ...) ; Freed is final.
enum class LoopState : uint8_t { New, Running, Stopping, Finished, Freed };

// Lives in its thread; the one posted event per batch lands here.
class Pump : public QObject {
public:
    explicit Pump(cqt_thread *t) : ctx(t) {}
    cqt_thread *ctx;
    bool event(QEvent *e) override;
};

struct cqt_thread {
    uint32_t magic = cqt::kThreadMagic;
    std::atomic<int> refs{1};
    ThreadKind kind;
    char name[cqt::kNameMax];
    uint64_t gen = 0; // application generation it belongs to
    QThread *qthread = nullptr; // Cqt: owned; Main: the app's thread
    // Lives in the thread; nullptr for adopted. Guarded by wake_mu, not mu:
    // a producer posts the wake-up after letting go of the mailbox, so the
    // woken thread never blocks on a lock its waker still holds.
    Pump *pump = nullptr;
    std::mutex wake_mu;

    // Mailbox, guarded by mu.
    cqt::Lock mu;
    cqt::DeliveryQueue pending;
    cqt::BlockCache spare; // blank blocks for pending
    bool wake_posted = false;
    // Written under mu; atomic so that a quick unlocked look (is it freed?
    // is it running?) is not a data race.
    std::atomic<LoopState> state{LoopState::New};
    std::vector<cqt_object *> timer_objects; // objects with a QObject here

    // Drain state, touched only by the thread itself.
    cqt::DeliveryQueue draining;
    cqt::BlockCache spent; // read blocks, handed to spare at the next swap
    int depth = 0;

    // Queued, not yet run or dropped; guarded by mu (posting takes it anyway).
    int64_t inflight = 0;
    std::atomic<cqt_thread *> waiting_on{nullptr}; // blocking-call graph
    std::atomic<bool> free_on_finish{false};
    std::atomic<bool> user_freed{false};
    std::atomic<bool> released{false}; // release_thread ran (exactly once)
    // Serialises cqt_thread_start callers; never held with mu across
    // QThread::start (which waits for a finish whose handler takes mu).
    std::mutex start_mu;

    // Exit code of the run under way (the last cqt_thread_exit, under mu,
    // reset at start) and of the last finished run.
    std::atomic<int> exit_code{0};
    std::atomic<int> last_exit_code{0};
    // started / finished, created on first ask (under sig_mu), owned by
    // an internal object living in the thread, freed with the thread.
    std::mutex sig_mu;
    cqt_object *sig_owner = nullptr;
    std::atomic<cqt_signal *> sig_started{nullptr};
    std::atomic<cqt_signal *> sig_finished{nullptr};
};

namespace cqt {

void thread_ref(cqt_thread *t);
void thread_unref(cqt_thread *t);
// The calling thread's context, created (adopted) on first use; nullptr
// without an app. Never fails otherwise except on OOM (throws).
cqt_thread *current_thread();
cqt_thread *current_thread_if_any();
// Posts the wake-up event to the thread's pump (takes wake_mu; may be
// called with or without t->mu held, never the other way round).
void post_wake(cqt_thread *t);
// Runs the thread's mailbox (in that thread). Normally at most a budget of
// deliveries per wake-up, so timers and GUI events interleave; @to_empty
// (a loop that is ending) runs until nothing is left.
void drain(cqt_thread *t, bool to_empty = false);
// In @t, before a nested loop (exec, process_events) runs from inside a
// delivery: makes that loop run the mailbox, also what is posted later.
void wake_nested_loop(cqt_thread *t);
// Kills the QObject timers of every object living in @t (in @t).
void kill_thread_timers(cqt_thread *t);
// cqt_thread_exit without the checks: ends every loop of a cqt thread.
void exit_loop(cqt_thread *t, int code);
// Accepting posts? Non-blocking: New/Running/Stopping; blocking: Running/Stopping.
inline bool accepts(const cqt_thread *t, bool blocking)
{
    if (t->kind == ThreadKind::Adopted)
        return false;
    switch (t->state.load(std::memory_order_relaxed)) {
    case LoopState::New: return !blocking;
    case LoopState::Running:
    case LoopState::Stopping: return true;
    case LoopState::Finished:
    case LoopState::Freed: return false;
    }
    return false;
}
int loop_refusal(const char *fn, const cqt_thread *t, bool blocking, const char *what);
void set_current_thread(cqt_thread *t);
cqt_thread *make_main_thread(QThread *qt);
void finish_main_thread(cqt_thread *t);
void release_finished_thread(cqt_thread *t);
// Watches the calling OS thread's exit for @owner (a cqt thread, or the
// pool); join_os_threads(@owner) then waits until every watched OS thread
// of @owner other than the caller has left the process (/proc/self/task).
void watch_os_thread(const void *owner);
void join_os_threads(const void *owner);

// Reserves a mailbox slot in @t for the caller to fill, with t->mu held:
// nullptr when @t accepts no delivery of this kind (see loop_refusal).
// Sets @wake when the caller must post the wake-up (after the locks).
inline Delivery *enqueue_slot_locked(cqt_thread *t, bool blocking, bool &wake)
{
    if (__builtin_expect(!accepts(t, blocking), 0))
        return nullptr;
    Delivery *d = t->pending.push_slot(t->spare);
    t->inflight++;
    if (!t->wake_posted) {
        t->wake_posted = true;
        wake = true;
    }
    return d;
}
// Enqueues a copy of @d for @t, with t->mu held: returns CQT_OK or
// CQT_ENOLOOP (nothing queued).
inline int enqueue_locked(cqt_thread *t, const Delivery &d, bool blocking, bool &wake)
{
    Delivery *slot = enqueue_slot_locked(t, blocking, wake);
    if (!slot)
        return CQT_ENOLOOP;
    *slot = d;
    return CQT_OK;
}

// Registry of the main and cqt threads (for shutdown and live counts).
void registry_add(cqt_thread *t);
void registry_remove(cqt_thread *t);
std::vector<cqt_thread *> registry_snapshot(); // each with a reference
int64_t registry_pending();

} // namespace cqt

// ---- objects (object.cpp) -------------------------------------------------

namespace cqt {
struct TimerRec;
class ShimObject;
} // namespace cqt

namespace cqt {
// An object timer's record (timer.cpp), one allocated per start, so kept
// small: a cqt_timer's arming is a bare TimerRec whose user_data is the
// handle (the callback and its release are fixed); the others are a
// CallTimerRec carrying the caller's function and destroy.
struct TimerRec {
    std::atomic<int> refs{1};
    int id = 0;    // cqt id
    int qt_id = 0; // Qt id while armed (owner thread)
    int ms = 0;
    std::atomic<bool> killed{false};
    bool single = false;
    int8_t type = 0;
    bool handle = false; // a cqt_timer's arming (a TimerRec, not a CallTimerRec)
    int64_t start_ns = 0;     // when it was started: a periodic PRECISE timer's schedule origin
    QObject *ticker = nullptr; // the timerfd notifier of a periodic PRECISE timer (owner thread)
    cqt_object *owner = nullptr;
    void *user_data = nullptr;
};
struct CallTimerRec : TimerRec {
    cqt_timer_event_fn fn = nullptr;
    cqt_destroy_fn destroy = nullptr;
};

// An open-addressing table of timer records keyed by one of their int
// fields (@Key: &TimerRec::id or &TimerRec::qt_id), linear probing with
// backward-shift deletion. One pointer a slot, at most 7/8 full: 9 to 18
// bytes a timer, where a node-based map costs 40 and one allocation. The
// keys are near-sequential ints (ours and Qt's), which the multiplicative
// hash spreads without collisions, so a full table still probes little.
// Not thread-safe: each table says which lock or thread guards it.
template <int TimerRec::*Key>
class TimerTable {
public:
    TimerTable() = default;
    TimerTable(const TimerTable &) = delete;
    TimerTable &operator=(const TimerTable &) = delete;
    ~TimerTable() { delete[] slots_; }
    size_t size() const { return n_; }
    TimerRec *find(int key) const
    {
        if (!n_)
            return nullptr;
        for (uint32_t i = slot_of(key);; i = (i + 1) & (cap_ - 1)) {
            TimerRec *r = slots_[i];
            if (!r || r->*Key == key)
                return r;
        }
    }
    // Adds @r (its key must not be in the table). Throws std::bad_alloc.
    void insert(TimerRec *r)
    {
        if ((n_ + 1) * 8 > size_t(cap_) * 7)
            grow();
        uint32_t i = slot_of(r->*Key);
        while (slots_[i])
            i = (i + 1) & (cap_ - 1);
        slots_[i] = r;
        n_++;
    }
    // Removes and returns the record with @key; nullptr when absent.
    TimerRec *erase(int key)
    {
        if (!n_)
            return nullptr;
        uint32_t i = slot_of(key);
        for (;; i = (i + 1) & (cap_ - 1)) {
            if (!slots_[i])
                return nullptr;
            if (slots_[i]->*Key == key)
                break;
        }
        TimerRec *found = slots_[i];
        // Shift back the records after the hole that probed past it.
        for (uint32_t j = (i + 1) & (cap_ - 1); slots_[j]; j = (j + 1) & (cap_ - 1)) {
            uint32_t home = slot_of(slots_[j]->*Key);
            if (((j - home) & (cap_ - 1)) >= ((j - i) & (cap_ - 1))) {
                slots_[i] = slots_[j];
                i = j;
            }
        }
        slots_[i] = nullptr;
        n_--;
        return found;
    }
    template <class F>
    void for_each(F &&f) const
    {
        for (uint32_t i = 0; i < cap_ && n_; i++)
            if (slots_[i])
                f(slots_[i]);
    }
    void clear()
    {
        delete[] slots_;
        slots_ = nullptr;
        cap_ = 0;
        n_ = 0;
    }
    void swap(TimerTable &o)
    {
        std::swap(slots_, o.slots_);
        std::swap(cap_, o.cap_);
        std::swap(n_, o.n_);
    }

private:
    uint32_t slot_of(int key) const { return (uint32_t(key) * 0x9e3779b1u) & (cap_ - 1); }
    void grow()
    {
        uint32_t ncap = cap_ ? cap_ * 2 : 4;
        TimerRec **old = slots_;
        uint32_t ocap = cap_;
        slots_ = new TimerRec *[ncap]();
        cap_ = ncap;
        for (uint32_t i = 0; i < ocap; i++)
            if (TimerRec *r = old[i]) {
                uint32_t j = slot_of(r->*Key);
                while (slots_[j])
                    j = (j + 1) & (cap_ - 1);
                slots_[j] = r;
            }
        delete[] old;
    }
    TimerRec **slots_ = nullptr;
    uint32_t cap_ = 0; // a power of two, or 0
    uint32_t n_ = 0;
};

// What only some objects need: timers, connections, owned handles. Kept
// out of line so that a plain object costs about what a QObject does.
struct ObjectExtra {
    // Touched only in the owner thread.
    ShimObject *qobj = nullptr;
    TimerTable<&TimerRec::qt_id> armed; // by Qt timer id (negative: a ticker)
    int dispatch_depth = 0;

    // Guarded by the object's mu.
    TimerTable<&TimerRec::id> live_timers; // by cqt id

    // Guarded by the global connection mutex (signal.cpp).
    std::vector<Conn *> inbound;
    std::vector<cqt_signal *> signals;
    // Guarded by the timer handles' lock (timer.cpp).
    std::vector<cqt_timer *> timers;
};
} // namespace cqt

struct cqt_object {
    uint32_t magic = cqt::kObjectMagic;
    std::atomic<int> refs{1};
    std::atomic<bool> dead{false};
    // The application generation it belongs to, its low 32 bits (in the
    // padding before mu): a stale object needs 2^32 app restarts to pass.
    uint32_t gen = 0;
    cqt::Lock mu; // guards thread changes against posters, and live_timers
    std::atomic<cqt_thread *> thread{nullptr}; // holds a reference
    std::atomic<cqt::ObjectExtra *> extra{nullptr}; // created on first need
    // The name, out of line: nullptr means the default "object-<seq>",
    // rendered when asked (most objects are never named). Set by the owner
    // under the name lock (name_of); freed with the object.
    char *name = nullptr;
    uint64_t seq = 0;

    ~cqt_object()
    {
        delete extra.load(std::memory_order_acquire);
        delete[] name;
    }
    // The extra part, created on first use (any thread may race to create it).
    cqt::ObjectExtra &ext()
    {
        cqt::ObjectExtra *x = extra.load(std::memory_order_acquire);
        if (x)
            return *x;
        auto *fresh = new cqt::ObjectExtra;
        if (extra.compare_exchange_strong(x, fresh, std::memory_order_acq_rel))
            return *fresh;
        delete fresh; // another thread won; x holds its extra
        return *x;
    }
    // The extra part if any was needed, else nullptr.
    cqt::ObjectExtra *ext_if() const { return extra.load(std::memory_order_acquire); }
};

namespace cqt {

void object_ref(cqt_object *o);
void object_unref(cqt_object *o, int n = 1); // drops @n references
// Validates a handle; sets the error and returns false when unusable.
bool object_usable(const char *fn, const cqt_object *o);
// Posts @d to the thread @o lives in (resolving moves). On failure @d is
// left for the caller to drop.
int post_to_object(const char *fn, cqt_object *o, Delivery &d, bool blocking);
// post_to_object of a slot call (kSlot) of @c with a copy of @arg, written
// straight into the slot; takes a reference on @c when queued.
int post_slot(const char *fn, cqt_object *o, Conn *c, const cqt_value *arg);
// post_to_object of a plain call (kCall), written straight into the slot.
int post_call(const char *fn, cqt_object *o, cqt_fn call, void *user_data,
              cqt_destroy_fn destroy);
// A blocking post: refuses cycles in the wait graph (CQT_EDEADLK), waits
// until the delivery ran or was dropped. *@posted tells whether @d was
// queued (then it was released there, whatever the status) or is left for
// the caller to drop.
int blocking_post(const char *fn, cqt_object *o, Delivery &d, bool *posted);
// Runs @run(arg) in @o's thread: directly when that is the calling thread,
// else queued (drop(arg) runs instead if @o dies first).
int run_in_owner(const char *fn, cqt_object *o, void (*run)(void *), void (*drop)(void *),
                 void *arg);
bool in_owner_thread(const cqt_object *o);
// A copy of @o's name, safe from any thread (the owner may rename it
// concurrently): use name_of(o).s in messages, never o->name.
struct NameCopy {
    char s[kNameMax];
};
NameCopy name_of(const cqt_object *o);
ShimObject *ensure_qobject(cqt_object *o);
// Destroys the object's resources; in its own thread or when that thread
// runs no loop.
void object_destroy(cqt_object *o);

// Object timers (timer.cpp): TimerRec is above (ObjectExtra keys on it).
void timer_rec_unref(TimerRec *r);
int start_object_timer(const char *fn, cqt_object *o, int ms, int type, bool single,
                       cqt_timer_event_fn cb, void *user_data, cqt_destroy_fn destroy);
int kill_object_timer(const char *fn, cqt_object *o, int id);

class ShimObject : public QObject {
public:
    explicit ShimObject(cqt_object *o) : owner(o) {}
    cqt_object *owner;

protected:
    void timerEvent(QTimerEvent *e) override;
};

// Signals (signal.cpp).
bool conn_active(const Conn *c);
void conn_call(Conn *c, const cqt_value *arg);
void signal_free_locked_owner(cqt_signal *s);
// cqt_signal_free in two steps: retire (disconnect everything, leave the
// owner's list, stop counting as live) and delete (the memory). A timer
// retires its timeout signal when freed and deletes it with its last
// reference, so a fire already under way emits into an empty signal, not
// freed memory.
void signal_retire(cqt_signal *s);
void signal_delete(cqt_signal *s);
// cqt_emit without the handle checks (internal callers hold a reference).
int signal_emit(cqt_signal *s, const cqt_value *arg);
void conn_free(Conn *c); // the last reference went: destroy, unref the receiver
inline void conn_unref(Conn *c)
{
    if (c->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
        conn_free(c);
}

// Teardown of what an object owns: the only calls object.cpp makes into
// timer.cpp and signal.cpp (object_destroy, in the owner's thread or with
// no loop running). See the call graph at the top of object.cpp.
void disarm_all_timers(cqt_object *o);  // timer.cpp: Qt timers and tickers
void free_owned_timers(cqt_object *o);  // timer.cpp: cqt_timer handles
void free_owned_signals(cqt_object *o); // signal.cpp: cqt_signal_new(o, ...)
void disconnect_inbound(cqt_object *o); // signal.cpp: connections to o

} // namespace cqt

// ---- app (app.cpp) --------------------------------------------------------

namespace cqt {

enum class AppState { None, Running, Shutdown };

struct App {
    std::mutex mu;
    std::atomic<int> state{int(AppState::None)};
    std::atomic<uint64_t> gen{0};
    QCoreApplication *qapp = nullptr;
    cqt_thread *main = nullptr;
    std::atomic<bool> quit_pending{false};
    std::atomic<int> quit_code{0};
    bool in_exec = false;
    bool initializing = false; // guarded by mu: cqt_app_init is under way
    // Main thread only: inside cqt_app_shutdown / cqt_app_process_events.
    bool in_shutdown = false;
    int loop_depth = 0;
    // Set while cqt_app_shutdown runs: starts (threads, pool tasks) are
    // refused, so shutdown never waits for work begun after it began.
    std::atomic<bool> closing{false};
};
extern App g_app;

inline bool app_running()
{
    return g_app.state.load(std::memory_order_acquire) == int(AppState::Running);
}
// Sets CQT_ESTATE with a message naming @fn when there is no app.
bool require_app(const char *fn);
bool is_main_thread();
// The calling thread's context, or nullptr (see current_thread_if_any):
// one load in the initial-exec TLS model.
extern thread_local cqt_thread *tls_ctx __attribute__((tls_model("initial-exec")));
int drain_event_type();
extern int g_pool_sync; // the address pool annotations pair on
// The pool's lifecycle (pool.cpp), driven by app.cpp.
void pool_create();
void pool_set_open(bool open);
int pool_wait_done(int64_t deadline_ns); // tasks still running, 0 when idle
void pool_destroy();

// current_thread(), inline when the context exists already.
inline cqt_thread *current_thread_fast()
{
    cqt_thread *t = tls_ctx;
    if (__builtin_expect(t != nullptr, 1) &&
        (t->kind != ThreadKind::Adopted || t->gen == g_app.gen.load(std::memory_order_relaxed)))
        return t;
    return current_thread();
}

// What object_usable checks, inline and silent: true for a live object of
// the running application. When false, object_usable says why.
inline bool object_ok(const cqt_object *o)
{
    return app_running() && o && o->magic == kObjectMagic &&
           !o->dead.load(std::memory_order_acquire) &&
           o->gen == uint32_t(g_app.gen.load(std::memory_order_relaxed)); // its low 32 bits
}

} // namespace cqt

#endif // CQT_SHIM_PRIVATE_H
