// Copyright 2026 The grace Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of the P2545-shaped facade (rcu/rcu.h), written from the proposal's wording:
//  - rcu_domain meets BasicLockable; read sections nest.
//  - rcu_synchronize: "blocks until all read-side critical sections that began before the
//    call have completed".
//  - rcu_retire: the deleter is invoked after such a grace period, never while a section that
//    could reach the object is running.
//  - rcu_barrier: "all deleters retired before the call have been invoked".
//  - rcu_obj_base::retire retires `this` with the given deleter and domain.
// plus grace's extension: user domains independent of the default one.

#include "rcu/rcu.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "gtest/gtest.h"

namespace grace {
namespace {

using namespace std::chrono_literals;

struct Counted : rcu_obj_base<Counted> {
  static inline std::atomic<int> deleted{0};
  int value = 0;
  ~Counted() { deleted.fetch_add(1); }
};

TEST(RcuFacadeTest, DomainIsBasicLockableAndNests) {
  rcu_domain& d = rcu_default_domain();
  std::scoped_lock a(d);
  std::scoped_lock b(d);
  EXPECT_TRUE(d.tasks_trace().InReader());
  EXPECT_TRUE(d.try_lock());
  d.unlock();
}

TEST(RcuFacadeTest, SynchronizeWaitsForSectionsThatBeganBefore) {
  std::atomic<bool> inside{false}, release{false}, done{false};
  std::thread reader([&] {
    std::scoped_lock g(rcu_default_domain());
    inside = true;
    while (!release) std::this_thread::sleep_for(1ms);
  });
  while (!inside) std::this_thread::yield();
  std::thread sync([&] {
    rcu_synchronize();
    done = true;
  });
  std::this_thread::sleep_for(30ms);
  EXPECT_FALSE(done.load());
  release = true;
  reader.join();
  sync.join();
  EXPECT_TRUE(done.load());
}

TEST(RcuFacadeTest, RetireAfterGracePeriodAndBarrierRunsAll) {
  Counted::deleted = 0;
  std::atomic<Counted*> ptr{new Counted};
  std::atomic<bool> inside{false}, release{false};
  std::thread reader([&] {
    std::scoped_lock g(rcu_default_domain());
    Counted* p = ptr.load(std::memory_order_acquire);
    inside = true;
    while (!release) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(p->value, 0);
  });
  while (!inside) std::this_thread::yield();
  rcu_retire(ptr.exchange(nullptr));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(Counted::deleted.load(), 0) << "deleter ran while a reader could reach it";
  release = true;
  reader.join();
  rcu_barrier();
  EXPECT_EQ(Counted::deleted.load(), 1);
}

TEST(RcuFacadeTest, ObjBaseRetiresItselfWithDeleterAndDomain) {
  rcu_domain mine;  // grace extension: a user domain
  Counted::deleted = 0;
  std::atomic<int> custom{0};
  auto deleter = [&custom](Counted* c) {
    custom.fetch_add(1);
    delete c;
  };
  struct WithDeleter : rcu_obj_base<WithDeleter, std::function<void(WithDeleter*)>> {};
  auto* w = new WithDeleter;
  w->retire(
      [&](WithDeleter* p) {
        custom.fetch_add(10);
        delete p;
      },
      mine);
  (new Counted)->retire(std::default_delete<Counted>(), mine);
  rcu_retire(new Counted, deleter, mine);
  rcu_barrier(mine);
  EXPECT_EQ(custom.load(), 11);
  EXPECT_EQ(Counted::deleted.load(), 2);
}

TEST(RcuFacadeTest, UserDomainIsIndependentOfDefault) {
  rcu_domain mine;
  std::atomic<bool> inside{false}, release{false};
  std::thread reader([&] {
    std::scoped_lock g(rcu_default_domain());
    inside = true;
    while (!release) std::this_thread::sleep_for(1ms);
  });
  while (!inside) std::this_thread::yield();
  rcu_synchronize(mine);  // must not wait for the default domain's reader
  release = true;
  reader.join();
}

}  // namespace
}  // namespace grace
