#include "barrier/barrier.h"

#include <gtest/gtest.h>

#include "crypto/primitives.h"
#include "store/memory_storage.h"

namespace coffer::barrier {
namespace {

class BarrierTest : public ::testing::Test {
 protected:
  BarrierTest() : barrier_(storage_, crypto::SystemRandom()) {}

  void SetUp() override {
    auto key = barrier_.Initialize();
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    unseal_key_ = *key;
  }

  Status Put(std::string_view key, std::string_view value) {
    return barrier_.Update([&](Txn& t) { return t.Put(key, SecretBytes(value)); });
  }

  StatusOr<std::optional<SecretBytes>> Get(std::string_view key) {
    std::optional<SecretBytes> out;
    Status s = barrier_.View([&](Txn& t) -> Status {
      ASSIGN_OR_RETURN(out, t.Get(key));
      return OkStatus();
    });
    if (!s.ok()) return s;
    return out;
  }

  std::string RawGet(std::string_view key) {
    std::string out;
    EXPECT_TRUE(storage_
                    .View([&](store::Transaction& t) -> Status {
                      ASSIGN_OR_RETURN(auto v, t.Get(key));
                      if (v) out = *v;
                      return OkStatus();
                    })
                    .ok());
    return out;
  }

  void RawPut(std::string_view key, std::string_view value) {
    ASSERT_TRUE(storage_.Update([&](store::Transaction& t) { return t.Put(key, value); }).ok());
  }

  store::MemoryStorage storage_;
  Barrier barrier_;
  SecretBytes unseal_key_;
};

TEST_F(BarrierTest, RoundTripsAndStoresNoPlaintext) {
  ASSERT_TRUE(Put("obj/a", "the-plaintext-value").ok());
  auto got = Get("obj/a");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->view(), "the-plaintext-value");
  EXPECT_EQ(RawGet("obj/a").find("the-plaintext-value"), std::string::npos);
}

TEST_F(BarrierTest, MissingKeyIsNullopt) {
  auto got = Get("nope");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_F(BarrierTest, CiphertextMovedToAnotherKeyDoesNotDecrypt) {
  ASSERT_TRUE(Put("obj/a", "value-a").ok());
  RawPut("obj/b", RawGet("obj/a"));
  auto got = Get("obj/b");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
}

TEST_F(BarrierTest, EveryFlippedBitIsDetected) {
  ASSERT_TRUE(Put("obj/a", "value-a").ok());
  std::string raw = RawGet("obj/a");
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string flipped = raw;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
    RawPut("obj/a", flipped);
    auto got = Get("obj/a");
    ASSERT_FALSE(got.ok()) << "byte " << i;
    EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
  }
  RawPut("obj/a", raw.substr(0, raw.size() - 1));
  EXPECT_FALSE(Get("obj/a").ok());
}

TEST_F(BarrierTest, OldTermsStillDecryptAfterRotation) {
  ASSERT_TRUE(Put("obj/old", "old-value").ok());
  uint32_t before = *barrier_.CurrentTerm();
  ASSERT_TRUE(barrier_.RotateTerm().ok());
  EXPECT_EQ(*barrier_.CurrentTerm(), before + 1);
  ASSERT_TRUE(Put("obj/new", "new-value").ok());
  EXPECT_EQ((*Get("obj/old"))->view(), "old-value");
  EXPECT_EQ((*Get("obj/new"))->view(), "new-value");
  // The term is recorded in the envelope (bytes 1..4, big-endian).
  std::string raw = RawGet("obj/new");
  EXPECT_EQ(static_cast<uint8_t>(raw[4]), before + 1);
}

TEST_F(BarrierTest, SealedBarrierRefusesEverything) {
  ASSERT_TRUE(Put("obj/a", "v").ok());
  barrier_.Seal();
  EXPECT_TRUE(barrier_.sealed());
  EXPECT_EQ(Put("obj/b", "v").code(), StatusCode::kUnavailable);
  EXPECT_EQ(Get("obj/a").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(barrier_.IndexMac("p", "d").status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE(barrier_.Unseal(unseal_key_).ok());
  EXPECT_EQ((*Get("obj/a"))->view(), "v");
}

TEST_F(BarrierTest, WrongUnsealKeyIsRefused) {
  barrier_.Seal();
  SecretBytes wrong = unseal_key_;
  wrong.data()[0] ^= 1;
  EXPECT_EQ(barrier_.Unseal(wrong).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(barrier_.Unseal(SecretBytes(std::string_view("short"))).code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(barrier_.sealed());
}

TEST_F(BarrierTest, UnsealStartsANewTermAndKeepsMacsStable) {
  auto mac1 = barrier_.IndexMac("name", "secret-a");
  uint32_t before = *barrier_.CurrentTerm();
  barrier_.Seal();
  ASSERT_TRUE(barrier_.Unseal(unseal_key_).ok());
  EXPECT_EQ(*barrier_.CurrentTerm(), before + 1);
  EXPECT_EQ(*barrier_.IndexMac("name", "secret-a"), *mac1);
  EXPECT_NE(*barrier_.IndexMac("name", "secret-b"), *mac1);
}

TEST_F(BarrierTest, InitializeTwiceFails) {
  Barrier second(storage_, crypto::SystemRandom());
  EXPECT_EQ(second.Initialize().status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(second.Unseal(unseal_key_).ok());
}

// Two nodes sharing one storage: each unseal adds a term of its own to the stored keyring,
// neither overwrites the other's, and each reads what the other wrote under its new term.
TEST_F(BarrierTest, NodesSharingStorageReadEachOthersNewTerms) {
  Barrier second(storage_, crypto::SystemRandom());
  ASSERT_TRUE(second.Unseal(unseal_key_).ok());
  EXPECT_GT(*second.CurrentTerm(), *barrier_.CurrentTerm());
  ASSERT_TRUE(second.Update([](Txn& t) { return t.Put("obj/b", SecretBytes("from-b")); }).ok());
  auto got = Get("obj/b");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->view(), "from-b");

  // The first node rotates after the second's unseal: its new term is past the second's, and
  // the second's term stays in the stored keyring.
  ASSERT_TRUE(barrier_.RotateTerm().ok());
  EXPECT_GT(*barrier_.CurrentTerm(), *second.CurrentTerm());
  ASSERT_TRUE(Put("obj/a", "from-a").ok());
  Barrier third(storage_, crypto::SystemRandom());
  ASSERT_TRUE(third.Unseal(unseal_key_).ok());
  for (const char* key : {"obj/a", "obj/b"}) {
    std::optional<SecretBytes> out;
    ASSERT_TRUE(third
                    .View([&](Txn& t) -> Status {
                      ASSIGN_OR_RETURN(out, t.Get(key));
                      return OkStatus();
                    })
                    .ok())
        << key;
    EXPECT_TRUE(out.has_value()) << key;
  }
  std::optional<SecretBytes> from_a;
  ASSERT_TRUE(second
                  .View([&](Txn& t) -> Status {
                    ASSIGN_OR_RETURN(from_a, t.Get("obj/a"));
                    return OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(from_a.has_value());
  EXPECT_EQ(from_a->view(), "from-a");
}

// A storage that answers reads but, while `writable` is false, refuses every write Unavailable
// (a node on its paired replica, read-only, during failover).
class ReadOnlyWhileAway final : public store::Storage {
 public:
  explicit ReadOnlyWhileAway(store::Storage& inner) : inner_(inner) {}
  Status Update(const store::TxnFn& fn) override {
    if (!writable) return UnavailableError("read-only failover");
    return inner_.Update(fn);
  }
  Status View(const store::TxnFn& fn) override { return inner_.View(fn); }
  bool writable = false;

 private:
  store::Storage& inner_;
};

TEST_F(BarrierTest, UnsealsWhileTheStorageTakesNoWritesAndAddsItsTermAtTheFirstWrite) {
  ASSERT_TRUE(Put("obj/old", "before").ok());
  ReadOnlyWhileAway paired(storage_);
  Barrier node(paired, crypto::SystemRandom());
  // A wrong key is still refused.
  SecretBytes wrong(kUnsealKeySize);
  EXPECT_EQ(node.Unseal(wrong).code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(node.Unseal(unseal_key_).ok());
  EXPECT_FALSE(node.sealed());
  const std::string keyring_before = RawGet("sys/keyring");

  // Reads work; a write is refused as the storage refuses it, and nothing is written.
  std::optional<SecretBytes> out;
  ASSERT_TRUE(node.View([&](Txn& t) -> Status {
                    ASSIGN_OR_RETURN(out, t.Get("obj/old"));
                    return OkStatus();
                  }).ok());
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->view(), "before");
  Status refused = node.Update([](Txn& t) { return t.Put("obj/new", SecretBytes("x")); });
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_EQ(refused.message(), "read-only failover");
  EXPECT_EQ(RawGet("sys/keyring"), keyring_before);
  EXPECT_EQ(RawGet("obj/new"), "");

  // Writable again: the first write adds this node's own term, past every stored one, and
  // what it wrote is read by the first node.
  paired.writable = true;
  ASSERT_TRUE(node.Update([](Txn& t) { return t.Put("obj/new", SecretBytes("after")); }).ok());
  EXPECT_NE(RawGet("sys/keyring"), keyring_before);
  EXPECT_GT(*node.CurrentTerm(), *barrier_.CurrentTerm());
  auto got = Get("obj/new");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->view(), "after");
}

TEST_F(BarrierTest, FailedCommitWritesNothing) {
  storage_.FailNextCommits(1);
  EXPECT_FALSE(Put("obj/x", "v").ok());
  EXPECT_FALSE(Get("obj/x")->has_value());
}

}  // namespace
}  // namespace coffer::barrier
