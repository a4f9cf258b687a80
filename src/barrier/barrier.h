// Barrier: the only place records are encrypted, and the only path from the domain to storage.
//
// Key hierarchy: unseal key (file or operator) → root key (stored encrypted under the unseal
// key at "sys/seal") → keyring (stored encrypted under the root key at "sys/keyring") → every
// record: AES-256-GCM with a fresh random nonce under the current term's key, with the record's
// storage key and term bound as associated data, so a ciphertext moved to another key, or
// altered, does not decrypt. Envelope layout: docs/formats/records.md.
//
// While sealed, no key material is in memory and every operation answers Unavailable.
// Each Unseal starts a new keyring term (while the storage takes no writes — a node starting on
// its paired replica — at its first write instead), and a term is retired after
// kMaxEncryptionsPerTerm encryptions, far below GCM's 2^32 random-nonce bound. A transaction
// keeps the AES-GCM context of the term it last decrypted under (TermOpener), so a scan
// schedules a key once, not once per record.
//
// Several nodes may share one storage (PostgreSQL): each adds its terms to the stored keyring
// in a read-modify-write transaction, so none is lost, and a record under a term this node has
// not seen yet makes it learn the stored terms inside the reading transaction (the keyring is
// committed before any record that uses a new term). Each node encrypts only under a term it
// added itself, so its own count of encryptions is the term's.
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "barrier/keyring.h"
#include "crypto/primitives.h"
#include "core/random.h"
#include "core/secret_bytes.h"
#include "core/status.h"
#include "store/storage.h"

namespace coffer::barrier {

constexpr uint64_t kMaxEncryptionsPerTerm = 1ull << 30;
constexpr size_t kUnsealKeySize = 32;

class Barrier;

// What this node caches of the records behind the barrier, kept right by the topics that
// transactions publish (Txn::Publish). A listener hears every topic this node's transactions
// published once Barrier::Update has ended (committed or not: dropping is always safe), before
// Update returns; the cache feed hands it those of the other nodes sharing the storage
// (DeliverCacheTopic) and a reset when some may have been missed.
class CacheListener {
 public:
  virtual ~CacheListener() = default;
  // Whether `topic` is this listener's; if so it has dropped what the topic names.
  virtual bool OnCacheTopic(std::string_view topic) = 0;
  // Topics may have been missed, or the barrier was sealed: drop everything.
  virtual void OnCacheReset() = 0;
};

// A transaction over plaintext records. Only valid inside Barrier::Update / View.
// The AES-GCM opener of the keyring term a transaction last decrypted under.
struct TermOpener {
  uint32_t term = 0;
  std::optional<crypto::AesGcmOpener> opener;
};

class Txn {
 public:
  StatusOr<std::optional<SecretBytes>> Get(std::string_view key);
  // Get of each key, in order, in one request to the storage engine where it can
  // (store::Transaction::GetMany).
  StatusOr<std::vector<std::optional<SecretBytes>>> GetMany(
      const std::vector<std::string_view>& keys);
  // Decrypted entries with key prefix `prefix`, after `start_after`, at most `limit` (0 = all).
  StatusOr<std::vector<std::pair<std::string, SecretBytes>>> Scan(std::string_view prefix,
                                                                   std::string_view start_after,
                                                                   size_t limit);
  Status Put(std::string_view key, const SecretBytes& plaintext);
  Status Delete(std::string_view key);
  // Deletes every record whose key starts with `prefix` (nothing is decrypted).
  Status DeletePrefix(std::string_view prefix);
  // Keys only, for index scans (due dates); nothing is decrypted.
  StatusOr<std::vector<std::string>> ScanKeys(std::string_view prefix,
                                              std::string_view start_after, size_t limit);
  // Tells the other nodes sharing the storage, if and when this transaction commits, that it
  // changed what `topic` names, so they drop what they cache of it (store::Transaction::Publish).
  // This node's CacheListeners hear it when the Update ends.
  void Publish(std::string_view topic) {
    inner_.Publish(topic);
    if (published_ != nullptr) published_->emplace_back(topic);
  }

 private:
  friend class Barrier;
  Txn(const Barrier& barrier, store::Transaction& inner,
      std::vector<std::string>* published = nullptr)
      : barrier_(barrier), inner_(inner), published_(published) {}
  const Barrier& barrier_;
  store::Transaction& inner_;
  std::vector<std::string>* published_;  // Update's: topics for this node's listeners
  TermOpener opener_;  // a scan's records nearly all share one term: its key is scheduled once
};

using BarrierFn = std::function<Status(Txn&)>;

class Barrier {
 public:
  Barrier(store::Storage& storage, Random& rng);
  ~Barrier();

  // True once Initialize has run on this storage.
  StatusOr<bool> IsInitialized();
  // Creates the root key and keyring, leaves the barrier unsealed and returns the unseal key.
  // FailedPrecondition if already initialized.
  StatusOr<SecretBytes> Initialize();
  // PermissionDenied for a wrong unseal key; FailedPrecondition if not initialized.
  Status Unseal(const SecretBytes& unseal_key);
  // Drops every key from memory, and every listener's cache.
  void Seal();
  bool sealed() const;

  // Runs fn in a writing transaction; then every topic it published goes to this node's
  // CacheListeners (whatever the outcome) before Update returns.
  Status Update(const BarrierFn& fn);
  Status View(const BarrierFn& fn);

  // A listener must be removed before it is destroyed.
  void AddCacheListener(CacheListener* listener);
  void RemoveCacheListener(CacheListener* listener);
  // Hands `topic` to every listener; whether one of them took it.
  bool DeliverCacheTopic(std::string_view topic) const;
  // Every listener drops everything.
  void ResetCaches() const;

  // Starts a new keyring term; new records use it, old ones still decrypt.
  Status RotateTerm();
  StatusOr<uint32_t> CurrentTerm() const;

  // HMAC-SHA256 under the index key of (purpose, data), length-prefixed. Used for storage-key
  // MACs of names and for authenticating paging tokens.
  StatusOr<std::string> IndexMac(std::string_view purpose, std::string_view data) const;
  // HKDF-SHA256 from the backup root.
  StatusOr<SecretBytes> DeriveBackupKey(std::string_view salt, std::string_view info) const;
  StatusOr<std::string> BackupRootId() const;

 private:
  friend class Txn;
  StatusOr<std::string> Encrypt(std::string_view storage_key, const SecretBytes& plaintext) const;
  // `cached` keeps the opener of the record's term for the transaction's next records.
  StatusOr<SecretBytes> Decrypt(std::string_view storage_key, std::string_view envelope,
                                TermOpener& cached) const;
  // Adds a term to the *stored* keyring in one read-modify-write transaction (so a term another
  // node added is never overwritten) and returns the keyring as stored.
  StatusOr<Keyring> AddStoredTerm(const SecretBytes& root_key);
  // Merges the stored keyring's terms into this node's (read inside `t`).
  Status LearnStoredTerms(store::Transaction& t) const;
  // Decrypt; for a term this node does not know yet (another node sharing the storage added
  // it), learns the stored terms inside `t` and tries once more.
  StatusOr<SecretBytes> DecryptIn(store::Transaction& t, std::string_view storage_key,
                                  std::string_view envelope, TermOpener& cached) const;
  void MaybeRotate();

  store::Storage& storage_;
  Random& rng_;
  std::mutex admin_mu_;             // serialises Initialize, Unseal, RotateTerm
  mutable std::shared_mutex mu_;    // guards keyring_ and root_key_
  // Null while sealed. Terms only grow; LearnStoredTerms adds those of other nodes.
  std::unique_ptr<Keyring> keyring_;
  SecretBytes root_key_;
  mutable std::atomic<uint64_t> encryptions_{0};
  mutable std::shared_mutex listeners_mu_;
  std::vector<CacheListener*> listeners_;  // guarded by listeners_mu_
};

}  // namespace coffer::barrier
