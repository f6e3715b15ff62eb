/* SPDX-License-Identifier: MIT */
// lock.h — the shim's small mutex, for the locks on the delivery path.
//
// Every queued call takes an object's lock and its thread's mailbox lock;
// every emit takes its signal's. A pthread mutex costs about 55
// instructions per lock/unlock pair uncontended (glibc 2.36, callgrind)
// and 40 bytes in every object. This one is a 32-bit futex word: one
// compare-and-swap to lock, one exchange to unlock, 4 bytes. Contended, it
// spins briefly (a holder keeps it for a few dozen instructions) and then
// sleeps in the kernel like a pthread mutex; unlock wakes one sleeper.
// Not recursive; no condition variables (the locks that need one stay
// std::mutex). Linux only, as the rest of the shim (eventfd, timerfd).
//
// The word: 0 free, 1 held, 2 held and maybe someone sleeps on it (the
// scheme of Drepper's "Futexes Are Tricky", mutex 2).
#ifndef CQT_LOCK_H
#define CQT_LOCK_H

#include <atomic>
#include <cstdint>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace cqt {

class Lock {
public:
    Lock()
    {
#if defined(__SANITIZE_THREAD__)
        // ThreadSanitizer sees the lock as a mutex (order, double unlock,
        // happens-before), not as the atomics inside it.
        __tsan_mutex_create(this, 0);
#endif
    }
    ~Lock()
    {
#if defined(__SANITIZE_THREAD__)
        __tsan_mutex_destroy(this, 0);
#endif
    }
    Lock(const Lock &) = delete;
    Lock &operator=(const Lock &) = delete;

    void lock()
    {
#if defined(__SANITIZE_THREAD__)
        __tsan_mutex_pre_lock(this, 0);
#endif
        uint32_t c = 0;
        if (!word_.compare_exchange_strong(c, 1, std::memory_order_acquire,
                                           std::memory_order_relaxed))
            lock_slow(c);
#if defined(__SANITIZE_THREAD__)
        __tsan_mutex_post_lock(this, 0, 0);
#endif
    }

    bool try_lock()
    {
#if defined(__SANITIZE_THREAD__)
        __tsan_mutex_pre_lock(this, __tsan_mutex_try_lock);
#endif
        uint32_t c = 0;
        bool ok = word_.compare_exchange_strong(c, 1, std::memory_order_acquire,
                                                std::memory_order_relaxed);
#if defined(__SANITIZE_THREAD__)
        __tsan_mutex_post_lock(this, ok ? __tsan_mutex_try_lock
                                        : __tsan_mutex_try_lock | __tsan_mutex_try_lock_failed,
                               0);
#endif
        return ok;
    }

    void unlock()
    {
#if defined(__SANITIZE_THREAD__)
        __tsan_mutex_pre_unlock(this, 0);
#endif
        if (word_.exchange(0, std::memory_order_release) == 2)
            futex(FUTEX_WAKE_PRIVATE, 1);
#if defined(__SANITIZE_THREAD__)
        __tsan_mutex_post_unlock(this, 0);
#endif
    }

private:
    std::atomic<uint32_t> word_{0};

    static void cpu_relax()
    {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ __volatile__("yield");
#endif
    }

    void futex(int op, uint32_t val)
    {
        syscall(SYS_futex, reinterpret_cast<uint32_t *>(&word_), op, val, nullptr, nullptr, 0);
    }

    // @c: the word the first attempt saw (1 or 2).
    __attribute__((noinline)) void lock_slow(uint32_t c)
    {
        // A short spin first: on another core the holder is about to let
        // go, and sleeping costs two system calls.
        for (int i = 0; i < 64 && c == 1; i++) {
            cpu_relax();
            c = word_.load(std::memory_order_relaxed);
            if (c == 0) {
                if (word_.compare_exchange_strong(c, 1, std::memory_order_acquire,
                                                  std::memory_order_relaxed))
                    return;
            }
        }
        // Mark it contended and sleep until it is ours; taken from here it
        // stays marked, so our unlock wakes the next sleeper (at worst one
        // futile wake-up).
        if (c != 2)
            c = word_.exchange(2, std::memory_order_acquire);
        while (c != 0) {
            futex(FUTEX_WAIT_PRIVATE, 2);
            c = word_.exchange(2, std::memory_order_acquire);
        }
    }
};

static_assert(sizeof(Lock) == 4, "a Lock is one futex word");

} // namespace cqt

#endif
