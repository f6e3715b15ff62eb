// SPDX-License-Identifier: MIT
// signal.cpp — signals and connections.
//
// A signal's connections are an immutable, reference-counted list replaced
// as a whole on connect/disconnect (copy on write), so an emit takes one
// reference under a short lock and then runs without any lock: slots may
// connect, disconnect or emit again freely.
//
// Lifecycle. A signal is live from cqt_signal_new until cqt_signal_free or
// its owner's release: connect, disconnect and emit from any thread. Free
// (retire: every connection ended, magic cleared; then the memory) must not
// run concurrently with another call on it; a timer retires its timeout
// signal when freed and deletes it with its last reference, because the
// timer's own fire may be emitting it. A connection is active until
// disconnected, its signal freed or its receiver freed; then deliveries
// still queued are dropped at drain time, and destroy runs once, with the
// last reference (the list, a queued delivery, an emit's snapshot).
// From inside a slot: disconnect (its own connection or another) - not
// called again; emit again - runs nested; free the signal - the emit under
// way skips the remaining, now inactive, connections.
#include "shim-private.h"

#include <cstdio>

namespace cqt {

struct ConnList {
    std::atomic<int> refs{1};
    std::vector<Conn *> conns; // each holds a reference
};

// Connect/disconnect bookkeeping: signal lists, inbound connections,
// owned signals. Local to this file: the timer handle lists have their own
// lock in timer.cpp. Never held in a slot.
static std::mutex g_conn_mu;

} // namespace cqt

struct cqt_signal {
    uint32_t magic = cqt::kSignalMagic;
    cqt_object *owner = nullptr;
    char name[cqt::kNameMax];
    cqt::Lock mu; // guards list (the pointer swap only)
    cqt::ConnList *list = nullptr;
    std::atomic<int> count{0};
};

namespace {

std::atomic<uint64_t> g_conn_id{0};
std::atomic<uint64_t> g_signal_seq{0};

void list_unref(cqt::ConnList *l)
{
    if (l && l->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        for (auto *c : l->conns)
            cqt::conn_unref(c);
        delete l;
    }
}

cqt::ConnList *snapshot(cqt_signal *s)
{
    std::lock_guard lk(s->mu);
    cqt::ConnList *l = s->list;
    if (l)
        l->refs.fetch_add(1, std::memory_order_relaxed);
    return l;
}

// Replaces the list by @next; returns the old one for the caller to unref
// once no bookkeeping lock is held (its unref may run destroy callbacks).
cqt::ConnList *swap_list(cqt_signal *s, cqt::ConnList *next)
{
    std::lock_guard lk(s->mu);
    cqt::ConnList *old = s->list;
    s->list = next;
    s->count.store(next ? int(next->conns.size()) : 0);
    return old;
}

// Caller holds g_conn_mu. Returns the list to release, and removes @c from
// its receiver's inbound list.
cqt::ConnList *remove_conn_locked(cqt_signal *s, cqt::Conn *c)
{
    cqt::ConnList *cur = s->list;
    cqt::ConnList *next = nullptr;
    if (cur && cur->conns.size() > 1) {
        next = new cqt::ConnList;
        next->conns.reserve(cur->conns.size() - 1);
        for (auto *x : cur->conns)
            if (x != c) {
                x->refs.fetch_add(1, std::memory_order_relaxed);
                next->conns.push_back(x);
            }
    }
    c->active.store(false, std::memory_order_release);
    auto &in = c->receiver->ext().inbound;
    for (size_t i = 0; i < in.size(); i++)
        if (in[i] == c) {
            in.erase(in.begin() + long(i));
            break;
        }
    return swap_list(s, next);
}

bool signal_usable(const char *fn, const cqt_signal *s)
{
    if (!s)
        return cqt::fail(CQT_EINVAL, "%s: the signal is NULL; pass a handle from cqt_signal_new",
                         fn),
               false;
    if (s->magic != cqt::kSignalMagic)
        return cqt::fail(CQT_EINVAL, "%s: %p is not a live cqt_signal (freed?)", fn,
                         (const void *)s),
               false;
    return true;
}

int emit_one(cqt_signal *s, cqt::Conn *c, const cqt_value *arg, cqt_thread *cur)
{
    cqt_object *r = c->receiver;
    if (r->dead.load(std::memory_order_acquire))
        return CQT_OK; // being freed: its connections are ending
    bool here = r->thread.load(std::memory_order_acquire) == cur;
    int type = c->type;
    if (type == CQT_DIRECT || (type == CQT_AUTO && here)) {
        c->fn(c->user_data, arg);
        return CQT_OK;
    }
    if (type != CQT_BLOCKING_QUEUED)
        return cqt::post_slot("cqt_emit", r, c, arg); // the hot path
    if (here)
        return cqt::fail(CQT_EDEADLK,
                         "cqt_emit: signal '%s': slot of object '%s' is connected "
                         "CQT_BLOCKING_QUEUED and the receiver lives in the emitting thread "
                         "'%s', which would wait for itself; connect it CQT_AUTO",
                         s->name, cqt::name_of(r).s, cur->name);
    cqt::Delivery d{};
    d.kind = cqt::kSlot;
    d.slot.conn = c;
    cqt_value_copy(&d.slot.arg, arg);
    c->refs.fetch_add(1, std::memory_order_relaxed);
    bool posted = false;
    int rc = cqt::blocking_post("cqt_emit", r, d, &posted);
    if (posted) // ran or dropped there: released
        return rc == CQT_ECANCELED ? CQT_OK : rc; // a freed receiver is not an error
    cqt::drop_delivery(d, rc);
    return rc;
}

} // namespace

namespace cqt {

bool conn_active(const Conn *c)
{
    return c->active.load(std::memory_order_acquire);
}

void conn_call(Conn *c, const cqt_value *arg)
{
    c->fn(c->user_data, arg);
}

void conn_free(Conn *c)
{
    if (c->destroy)
        c->destroy(c->user_data);
    object_unref(c->receiver);
    cqt__live_add(CQT__LIVE_CONNECTIONS, -1);
    delete c;
}

void disconnect_inbound(cqt_object *o)
{
    std::vector<ConnList *> release;
    {
        std::lock_guard<std::mutex> lk(g_conn_mu);
        ObjectExtra *x = o->ext_if();
        while (x && !x->inbound.empty()) {
            Conn *c = x->inbound.back();
            release.push_back(remove_conn_locked(c->sig, c));
        }
    }
    for (auto *l : release)
        list_unref(l);
}

void free_owned_signals(cqt_object *o)
{
    std::vector<cqt_signal *> sigs;
    {
        std::lock_guard<std::mutex> lk(g_conn_mu);
        if (ObjectExtra *x = o->ext_if())
            sigs.swap(x->signals);
    }
    for (auto *s : sigs)
        cqt_signal_free(s);
}

} // namespace cqt

using namespace cqt;

extern "C" {

cqt_signal *cqt_signal_new(cqt_object *owner, const char *name)
{
    return guard("cqt_signal_new", (cqt_signal *)nullptr, [&]() -> cqt_signal * {
        if (!object_usable("cqt_signal_new", owner))
            return nullptr;
        auto *s = new cqt_signal;
        s->owner = owner;
        copy_name(s->name, name, "signal", g_signal_seq.fetch_add(1) + 1);
        std::lock_guard<std::mutex> lk(g_conn_mu);
        owner->ext().signals.push_back(s);
        cqt__live_add(CQT__LIVE_SIGNALS, 1);
        return s;
    });
}

const char *cqt_signal_name(const cqt_signal *s)
{
    if (!s || s->magic != kSignalMagic)
        return "(null)";
    return s->name;
}

void cqt_signal_free(cqt_signal *s)
{
    guard_void("cqt_signal_free", [&] {
        if (!s)
            return;
        if (s->magic != kSignalMagic) {
            log_message(CQT_MSG_WARNING, "cqt",
                        "cqt_signal_free: not a live cqt_signal (double free?); ignored");
            return;
        }
        signal_retire(s);
        signal_delete(s);
    });
}

cqt_connection cqt_connect(cqt_signal *s, cqt_object *receiver, cqt_slot_fn fn, void *user_data,
                           cqt_destroy_fn destroy, cqt_conn conn)
{
    static const char name[] = "cqt_connect";
    cqt_connection id = guard(name, cqt_connection(0), [&]() -> cqt_connection {
        if (!require_app(name) || !signal_usable(name, s) || !object_usable(name, receiver))
            return 0;
        if (!fn) {
            fail(CQT_EINVAL, "%s: signal '%s': the slot is NULL; pass the function to call", name,
                 s->name);
            return 0;
        }
        const int type = enum_int(conn);
        if (type < CQT_AUTO || type > CQT_BLOCKING_QUEUED) {
            fail(CQT_EINVAL, "%s: unknown connection type %d; use CQT_AUTO, CQT_DIRECT, "
                             "CQT_QUEUED or CQT_BLOCKING_QUEUED",
                 name, type);
            return 0;
        }
        cqt_thread *rt = receiver->thread.load();
        if ((type == CQT_QUEUED || type == CQT_BLOCKING_QUEUED) && rt->kind == ThreadKind::Adopted) {
            char what[128];
            snprintf(what, sizeof what, "receiver '%s'", name_of(receiver).s);
            loop_refusal(name, rt, false, what);
            return 0;
        }
        auto *c = new Conn;
        c->id = g_conn_id.fetch_add(1, std::memory_order_relaxed) + 1;
        c->sig = s;
        c->receiver = receiver;
        c->fn = fn;
        c->user_data = user_data;
        c->destroy = destroy;
        c->type = type;
        ConnList *old = nullptr;
        uint64_t cid = 0;
        {
            std::lock_guard<std::mutex> lk(g_conn_mu);
            if (receiver->dead.load()) {
                delete c;
                fail(CQT_EINVAL, "%s: receiver '%s' was freed", name, name_of(receiver).s);
                return 0;
            }
            auto *next = new ConnList;
            if (s->list) {
                next->conns.reserve(s->list->conns.size() + 1);
                for (auto *x : s->list->conns) {
                    x->refs.fetch_add(1, std::memory_order_relaxed);
                    next->conns.push_back(x);
                }
            }
            next->conns.push_back(c);
            object_ref(receiver);
            receiver->ext().inbound.push_back(c);
            cqt__live_add(CQT__LIVE_CONNECTIONS, 1);
            old = swap_list(s, next);
            /* Read under the lock: once it is released, a free of the
             * signal in another thread may release the connection. */
            cid = c->id;
        }
        destroy = nullptr; // the connection owns it now
        list_unref(old);
        return cid;
    });
    if (id == 0 && destroy)
        destroy(user_data);
    return id;
}

int cqt_disconnect(cqt_signal *s, cqt_connection c)
{
    return guard("cqt_disconnect", int(CQT_EINTERNAL), [&]() -> int {
        if (!require_app("cqt_disconnect"))
            return CQT_ESTATE;
        if (!signal_usable("cqt_disconnect", s))
            return CQT_EINVAL;
        ConnList *old = nullptr;
        {
            std::lock_guard<std::mutex> lk(g_conn_mu);
            Conn *found = nullptr;
            if (s->list)
                for (auto *x : s->list->conns)
                    if (x->id == c) {
                        found = x;
                        break;
                    }
            if (!found)
                return fail(CQT_EINVAL,
                            "cqt_disconnect: signal '%s' has no live connection %llu (disconnected "
                            "already, its receiver freed, or an id of another signal)",
                            s->name, (unsigned long long)c);
            old = remove_conn_locked(s, found);
        }
        list_unref(old);
        return int(CQT_OK);
    });
}

int cqt_emit(cqt_signal *s, const cqt_value *arg)
{
    return guard("cqt_emit", int(CQT_EINTERNAL), [&]() -> int {
        if (__builtin_expect(!app_running(), 0) && !require_app("cqt_emit"))
            return CQT_ESTATE;
        if (!signal_usable("cqt_emit", s))
            return CQT_EINVAL;
        return signal_emit(s, arg);
    });
}

} // extern "C"

namespace cqt {

void signal_retire(cqt_signal *s)
{
    std::vector<ConnList *> release;
    {
        std::lock_guard<std::mutex> lk(g_conn_mu);
        if (s->list) {
            std::vector<Conn *> conns = s->list->conns;
            for (auto *c : conns)
                release.push_back(remove_conn_locked(s, c));
        }
        auto &v = s->owner->ext().signals;
        for (size_t i = 0; i < v.size(); i++)
            if (v[i] == s) {
                v.erase(v.begin() + long(i));
                break;
            }
        s->magic = 0;
    }
    for (auto *l : release)
        list_unref(l);
    cqt__live_add(CQT__LIVE_SIGNALS, -1);
}

void signal_delete(cqt_signal *s)
{
    delete s;
}

int signal_emit(cqt_signal *s, const cqt_value *arg)
{
    static const cqt_value none{}; // cqt_value_none(): all zero
    if (!arg)
        arg = &none;
    ConnList *l = snapshot(s);
    if (!l)
        return int(CQT_OK);
    cqt_thread *cur = current_thread_fast();
    int first = CQT_OK;
    char first_msg[512]; // not zero-filled: this is the per-emit hot path
    first_msg[0] = '\0';
    for (auto *c : l->conns) {
        if (!c->active.load(std::memory_order_acquire))
            continue;
        int rc = emit_one(s, c, arg, cur);
        if (rc != CQT_OK && first == CQT_OK) {
            first = rc;
            snprintf(first_msg, sizeof first_msg, "%s", cqt_last_error());
        }
    }
    list_unref(l);
    if (first != CQT_OK)
        fail(first, "%s", first_msg); // report the first failure, not the last
    return first;
}

} // namespace cqt

extern "C" {

int cqt_signal_connection_count(const cqt_signal *s)
{
    if (!s || s->magic != kSignalMagic)
        return 0;
    return s->count.load();
}

} // extern "C"
