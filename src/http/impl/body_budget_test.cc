// BodyBudget: reservations within the capacity, clamping to it, waiters granted in order on
// release, small requests let past larger waiters, cancellation racing a grant.
#include "http/impl/body_budget.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace coffer::http::impl {
namespace {

TEST(BodyBudgetTest, ReservesWithinTheCapacityAndReleases) {
  BodyBudget budget(1000);
  EXPECT_TRUE(budget.TryReserve(600));
  EXPECT_TRUE(budget.TryReserve(400));
  EXPECT_FALSE(budget.TryReserve(1));
  EXPECT_EQ(budget.stats().reserved, 1000u);
  budget.Release(400);
  EXPECT_TRUE(budget.TryReserve(300));
  EXPECT_EQ(budget.stats().reserved, 900u);
  EXPECT_EQ(budget.stats().waiters, 0u);
}

TEST(BodyBudgetTest, ABodyLargerThanTheBudgetTakesAllOfItWhenAlone) {
  BodyBudget budget(1000);
  EXPECT_EQ(budget.Clamp(5000), 1000u);
  EXPECT_EQ(budget.Clamp(10), 10u);
  EXPECT_TRUE(budget.TryReserve(5000));
  EXPECT_EQ(budget.stats().reserved, 1000u);
  EXPECT_FALSE(budget.TryReserve(100));
  budget.Release(budget.Clamp(5000));
  EXPECT_EQ(budget.stats().reserved, 0u);
  ASSERT_TRUE(budget.TryReserve(100));
  EXPECT_FALSE(budget.TryReserve(5000));  // not alone any more
}

TEST(BodyBudgetTest, WaitersAreGrantedInArrivalOrderOnRelease) {
  BodyBudget budget(1000);
  ASSERT_TRUE(budget.TryReserve(1000));
  std::vector<std::string> granted;
  uint64_t a = budget.Reserve(600, [&] { granted.push_back("a"); });
  uint64_t b = budget.Reserve(300, [&] { granted.push_back("b"); });
  uint64_t c = budget.Reserve(700, [&] { granted.push_back("c"); });
  EXPECT_GT(a, 0u);
  EXPECT_GT(b, 0u);
  EXPECT_GT(c, 0u);
  EXPECT_EQ(budget.stats().waiters, 3u);
  budget.Release(1000);
  EXPECT_EQ(granted, (std::vector<std::string>{"a", "b"}));  // c does not fit after a and b
  EXPECT_EQ(budget.stats().reserved, 900u);
  EXPECT_EQ(budget.stats().waiters, 1u);
  budget.Release(600);
  EXPECT_EQ(granted, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(budget.stats().reserved, 1000u);
}

TEST(BodyBudgetTest, ALargeRequestIsNotOvertakenByMediumOnes) {
  BodyBudget budget(6400);  // small = at most 100 bytes
  ASSERT_TRUE(budget.TryReserve(3000));
  bool large = false;
  ASSERT_GT(budget.Reserve(6400, [&] { large = true; }), 0u);
  // 1000 would fit, but a larger request was here first.
  EXPECT_FALSE(budget.TryReserve(1000));
  bool medium = false;
  ASSERT_GT(budget.Reserve(1000, [&] { medium = true; }), 0u);
  budget.Release(3000);
  EXPECT_TRUE(large);
  EXPECT_FALSE(medium);
  budget.Release(6400);
  EXPECT_TRUE(medium);
}

TEST(BodyBudgetTest, SmallRequestsPassWaitersWhenTheyFit) {
  BodyBudget budget(6400);  // small = at most 100 bytes
  ASSERT_TRUE(budget.TryReserve(6300));
  bool large = false;
  ASSERT_GT(budget.Reserve(6400, [&] { large = true; }), 0u);
  EXPECT_TRUE(budget.TryReserve(100));  // fits, and is small: passes the large waiter
  EXPECT_FALSE(budget.TryReserve(1));   // full
  // A small waiter behind a large one is granted as soon as it fits.
  bool small_waiter = false;
  ASSERT_GT(budget.Reserve(100, [&] { small_waiter = true; }), 0u);
  budget.Release(100);
  EXPECT_TRUE(small_waiter);
  EXPECT_FALSE(large);
  EXPECT_EQ(budget.stats().reserved, 6400u);
  // Reserve takes a small request's bytes at once when they fit, without calling back.
  budget.Release(100);
  bool called = false;
  EXPECT_EQ(budget.Reserve(100, [&] { called = true; }), 0u);
  EXPECT_FALSE(called);
  EXPECT_EQ(budget.stats().reserved, 6400u);
}

TEST(BodyBudgetTest, CancelWithdrawsAWaiterAndLetsTheNextIn) {
  BodyBudget budget(1000);
  ASSERT_TRUE(budget.TryReserve(500));
  bool big = false;
  bool next = false;
  uint64_t big_ticket = budget.Reserve(1000, [&] { big = true; });
  ASSERT_GT(budget.Reserve(400, [&] { next = true; }), 0u);  // behind the big one
  EXPECT_FALSE(next);
  EXPECT_TRUE(budget.Cancel(big_ticket));
  EXPECT_TRUE(next);  // fits beside the 500 once the big one has gone
  EXPECT_FALSE(big);
  EXPECT_EQ(budget.stats().reserved, 900u);
  EXPECT_FALSE(budget.Cancel(big_ticket));  // already gone
}

TEST(BodyBudgetTest, CancelAfterTheGrantFailsAndTheBytesStayTaken) {
  BodyBudget budget(1000);
  ASSERT_TRUE(budget.TryReserve(1000));
  bool granted = false;
  uint64_t ticket = budget.Reserve(800, [&] { granted = true; });
  budget.Release(1000);
  ASSERT_TRUE(granted);
  EXPECT_FALSE(budget.Cancel(ticket));  // the caller owns the 800 and must release them
  EXPECT_EQ(budget.stats().reserved, 800u);
}

TEST(BodyBudgetTest, DropWaitersForgetsThemWithoutCallingThem) {
  BodyBudget budget(100);
  ASSERT_TRUE(budget.TryReserve(100));
  bool called = false;
  ASSERT_GT(budget.Reserve(50, [&] { called = true; }), 0u);
  budget.DropWaiters();
  budget.Release(100);
  EXPECT_FALSE(called);
  EXPECT_EQ(budget.stats().reserved, 0u);
  EXPECT_EQ(budget.stats().waiters, 0u);
}

TEST(BodyBudgetTest, AReservationGivesItsBytesBackOnceWhateverItsOwner) {
  BodyBudget budget(1000);
  {
    BodyReservation first(&budget);
    ASSERT_TRUE(budget.TryReserve(300));
    first.Adopt(300);
    BodyReservation moved = std::move(first);
    EXPECT_EQ(first.bytes(), 0u);  // NOLINT(bugprone-use-after-move): the contract under test
    EXPECT_EQ(moved.bytes(), 300u);
    EXPECT_EQ(budget.stats().reserved, 300u);
    first.Reset();  // nothing left to give back
    EXPECT_EQ(budget.stats().reserved, 300u);
  }
  EXPECT_EQ(budget.stats().reserved, 0u);
}

}  // namespace
}  // namespace coffer::http::impl
