#include "barrier/barrier.h"

#include <algorithm>
#include <mutex>

#include "core/record_codec.h"
#include "crypto/primitives.h"

namespace coffer::barrier {
namespace {

constexpr std::string_view kSealKey = "sys/seal";
constexpr std::string_view kKeyringKey = "sys/keyring";
constexpr std::string_view kSealAad = "coffer.seal.v1";
constexpr std::string_view kKeyringAad = "coffer.keyring.v1";
constexpr uint8_t kEnvelopeV1 = 1;
constexpr size_t kEnvelopeHeader = 1 + 4 + crypto::kGcmNonceSize;
// The reason of Decrypt's DataLoss for a term this node's keyring lacks (DecryptIn learns it).
constexpr const char* kUnknownTermReason = "UnknownTerm";
// Keyring::current_term of a node unsealed while the storage took no writes: it has added no
// term of its own yet, and encrypts nothing until it has (terms are numbered from 1).
constexpr uint32_t kNoOwnTerm = 0;

Status SealedError() {
  return UnavailableError(
      "Coffer is sealed. Unseal it with `coffer operator unseal` before using it.");
}

std::string U32Be(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

uint32_t ReadU32Be(std::string_view b) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  return v;
}

// AAD of a record: domain label, length-prefixed storage key, version byte and term.
std::string RecordAad(std::string_view storage_key, uint32_t term) {
  std::string aad = "coffer.record.v1";
  aad += U32Be(static_cast<uint32_t>(storage_key.size()));
  aad += storage_key;
  aad.push_back(static_cast<char>(kEnvelopeV1));
  aad += U32Be(term);
  return aad;
}

// nonce || ciphertext+tag under `key` (used for the seal and keyring records).
StatusOr<std::string> WrapWith(Random& rng, const SecretBytes& key, const SecretBytes& plain,
                               std::string_view aad) {
  std::string nonce = rng.Bytes(crypto::kGcmNonceSize);
  ASSIGN_OR_RETURN(std::string ct, crypto::AesGcmSeal(key, nonce, plain.view(), aad));
  return std::string(1, static_cast<char>(kEnvelopeV1)) + nonce + ct;
}

StatusOr<SecretBytes> UnwrapWith(const SecretBytes& key, std::string_view wrapped,
                                 std::string_view aad) {
  if (wrapped.size() < 1 + crypto::kGcmNonceSize + crypto::kGcmTagSize ||
      static_cast<uint8_t>(wrapped[0]) != kEnvelopeV1) {
    return DataLossError("sealed record is malformed");
  }
  return crypto::AesGcmOpen(key, wrapped.substr(1, crypto::kGcmNonceSize),
                            wrapped.substr(1 + crypto::kGcmNonceSize), aad);
}

}  // namespace

Barrier::Barrier(store::Storage& storage, Random& rng) : storage_(storage), rng_(rng) {}

Barrier::~Barrier() { Seal(); }

StatusOr<bool> Barrier::IsInitialized() {
  bool initialized = false;
  RETURN_IF_ERROR(storage_.View([&](store::Transaction& t) -> Status {
    ASSIGN_OR_RETURN(auto v, t.Get(kSealKey));
    initialized = v.has_value();
    return OkStatus();
  }));
  return initialized;
}

StatusOr<Keyring> Barrier::AddStoredTerm(const SecretBytes& root_key) {
  Keyring next;
  RETURN_IF_ERROR(storage_.Update([&](store::Transaction& t) -> Status {
    // Read, add and write in one transaction: another node sharing the storage may have added
    // a term since this one loaded the keyring, and its records under that term must keep
    // decrypting. Everything is set afresh here: the engine may run this more than once.
    ASSIGN_OR_RETURN(auto wrapped, t.Get(kKeyringKey));
    if (!wrapped) return FailedPreconditionError("the keyring record is missing");
    ASSIGN_OR_RETURN(SecretBytes plain, UnwrapWith(root_key, *wrapped, kKeyringAad));
    ASSIGN_OR_RETURN(next, DecodeKeyring(plain.view()));
    // Terms are numbered past every stored one, whichever is current.
    if (!next.terms.empty()) next.current_term = std::max(next.current_term, next.terms.rbegin()->first);
    next.AddTerm(rng_);
    ASSIGN_OR_RETURN(std::string rewrapped,
                     WrapWith(rng_, root_key, EncodeKeyring(next), kKeyringAad));
    return t.Put(kKeyringKey, rewrapped);
  }));
  return next;
}

Status Barrier::LearnStoredTerms(store::Transaction& t) const {
  SecretBytes root;
  {
    std::shared_lock lock(mu_);
    if (!keyring_) return SealedError();
    root = root_key_;
  }
  ASSIGN_OR_RETURN(auto wrapped, t.Get(kKeyringKey));
  if (!wrapped) return DataLossError("the keyring record is missing");
  ASSIGN_OR_RETURN(SecretBytes plain, UnwrapWith(root, *wrapped, kKeyringAad));
  ASSIGN_OR_RETURN(Keyring stored, DecodeKeyring(plain.view()));
  std::unique_lock lock(mu_);
  if (!keyring_) return SealedError();
  // Only terms are learned: this node keeps encrypting under its own current term.
  for (auto& [term, key] : stored.terms) keyring_->terms.try_emplace(term, std::move(key));
  return OkStatus();
}

StatusOr<SecretBytes> Barrier::DecryptIn(store::Transaction& t, std::string_view storage_key,
                                         std::string_view envelope, TermOpener& cached) const {
  auto plain = Decrypt(storage_key, envelope, cached);
  if (plain.ok() || plain.status().reason() != kUnknownTermReason) return plain;
  // A term another node added after this one loaded the keyring: the keyring record that names
  // it was committed before any record under it, so this transaction's snapshot holds it.
  RETURN_IF_ERROR(LearnStoredTerms(t));
  return Decrypt(storage_key, envelope, cached);
}

StatusOr<SecretBytes> Barrier::Initialize() {
  std::lock_guard admin(admin_mu_);
  SecretBytes unseal_key(kUnsealKeySize);
  rng_.Fill(unseal_key.data(), unseal_key.size());
  SecretBytes root_key(32);
  rng_.Fill(root_key.data(), root_key.size());
  Keyring keyring = Keyring::Generate(rng_);

  ASSIGN_OR_RETURN(std::string wrapped_root, WrapWith(rng_, unseal_key, root_key, kSealAad));
  ASSIGN_OR_RETURN(std::string wrapped_keyring,
                   WrapWith(rng_, root_key, EncodeKeyring(keyring), kKeyringAad));
  RETURN_IF_ERROR(storage_.Update([&](store::Transaction& t) -> Status {
    ASSIGN_OR_RETURN(auto existing, t.Get(kSealKey));
    if (existing) return FailedPreconditionError("Coffer is already initialized.");
    RETURN_IF_ERROR(t.Put(kSealKey, wrapped_root));
    return t.Put(kKeyringKey, wrapped_keyring);
  }));
  std::unique_lock lock(mu_);
  keyring_ = std::make_unique<Keyring>(std::move(keyring));
  root_key_ = std::move(root_key);
  encryptions_ = 0;
  return unseal_key;
}

Status Barrier::Unseal(const SecretBytes& unseal_key) {
  std::lock_guard admin(admin_mu_);
  if (!sealed()) return OkStatus();
  std::optional<std::string> wrapped_root, wrapped_keyring;
  RETURN_IF_ERROR(storage_.View([&](store::Transaction& t) -> Status {
    ASSIGN_OR_RETURN(wrapped_root, t.Get(kSealKey));
    ASSIGN_OR_RETURN(wrapped_keyring, t.Get(kKeyringKey));
    return OkStatus();
  }));
  if (!wrapped_root || !wrapped_keyring) {
    return FailedPreconditionError(
        "Coffer is not initialized; run `coffer operator init` first.");
  }
  if (unseal_key.size() != kUnsealKeySize) {
    return PermissionDeniedError("The unseal key is not valid for this deployment.");
  }
  auto root = UnwrapWith(unseal_key, *wrapped_root, kSealAad);
  if (!root.ok()) return PermissionDeniedError("The unseal key is not valid for this deployment.");
  // A fresh term per unseal bounds how many records one term key ever encrypts.
  Keyring keyring;
  if (auto added = AddStoredTerm(*root); added.ok()) {
    keyring = std::move(*added);
  } else if (added.status().code() == StatusCode::kUnavailable) {
    // The storage answers reads but takes no writes (a node starting on its paired replica,
    // read-only, while the primary is down): unseal with the stored terms and none of this
    // node's own (current_term 0). Every record decrypts; nothing is encrypted until a write
    // is possible, and the first Update then adds this node's term.
    ASSIGN_OR_RETURN(SecretBytes plain, UnwrapWith(*root, *wrapped_keyring, kKeyringAad));
    ASSIGN_OR_RETURN(keyring, DecodeKeyring(plain.view()));
    keyring.current_term = kNoOwnTerm;
  } else {
    return added.status();
  }
  std::unique_lock lock(mu_);
  keyring_ = std::make_unique<Keyring>(std::move(keyring));
  root_key_ = std::move(*root);
  encryptions_ = 0;
  return OkStatus();
}

void Barrier::Seal() {
  {
    std::unique_lock lock(mu_);
    keyring_.reset();  // SecretBytes members zero themselves
    root_key_.Wipe();
  }
  ResetCaches();  // no plaintext stays cached while sealed
}

void Barrier::AddCacheListener(CacheListener* listener) {
  std::unique_lock lock(listeners_mu_);
  listeners_.push_back(listener);
}

void Barrier::RemoveCacheListener(CacheListener* listener) {
  std::unique_lock lock(listeners_mu_);
  std::erase(listeners_, listener);
}

bool Barrier::DeliverCacheTopic(std::string_view topic) const {
  std::shared_lock lock(listeners_mu_);
  bool taken = false;
  for (CacheListener* l : listeners_) taken = l->OnCacheTopic(topic) || taken;
  return taken;
}

void Barrier::ResetCaches() const {
  std::shared_lock lock(listeners_mu_);
  for (CacheListener* l : listeners_) l->OnCacheReset();
}

bool Barrier::sealed() const {
  std::shared_lock lock(mu_);
  return keyring_ == nullptr;
}

// The keyring is persisted without holding mu_: the storage writer may be running another
// caller's transaction that needs a shared lock to encrypt.
Status Barrier::RotateTerm() {
  std::lock_guard admin(admin_mu_);
  SecretBytes root;
  {
    std::shared_lock lock(mu_);
    if (!keyring_) return SealedError();
    root = root_key_;
  }
  ASSIGN_OR_RETURN(Keyring next, AddStoredTerm(root));
  std::unique_lock lock(mu_);
  if (!keyring_) return SealedError();
  *keyring_ = std::move(next);
  encryptions_ = 0;
  return OkStatus();
}

StatusOr<uint32_t> Barrier::CurrentTerm() const {
  std::shared_lock lock(mu_);
  if (!keyring_) return SealedError();
  return keyring_->current_term;
}

void Barrier::MaybeRotate() {
  if (encryptions_.load() < kMaxEncryptionsPerTerm) return;
  Status s = RotateTerm();
  (void)s;  // if rotation fails the old term keeps working; the next write retries
}

StatusOr<std::string> Barrier::Encrypt(std::string_view storage_key,
                                       const SecretBytes& plaintext) const {
  std::shared_lock lock(mu_);
  if (!keyring_) return SealedError();
  uint32_t term = keyring_->current_term;
  if (term == kNoOwnTerm) {
    return UnavailableError("This node has no keyring term of its own yet (it was unsealed while "
                            "the storage took no writes); retry.");
  }
  const SecretBytes& key = keyring_->terms.at(term);
  std::string nonce = rng_.Bytes(crypto::kGcmNonceSize);
  ASSIGN_OR_RETURN(std::string ct, crypto::AesGcmSeal(key, nonce, plaintext.view(),
                                                      RecordAad(storage_key, term)));
  ++encryptions_;
  std::string out;
  out.reserve(kEnvelopeHeader + ct.size());
  out.push_back(static_cast<char>(kEnvelopeV1));
  out += U32Be(term);
  out += nonce;
  out += ct;
  return out;
}

StatusOr<SecretBytes> Barrier::Decrypt(std::string_view storage_key, std::string_view envelope,
                                       TermOpener& cached) const {
  std::shared_lock lock(mu_);
  if (!keyring_) return SealedError();
  if (envelope.size() < kEnvelopeHeader + crypto::kGcmTagSize ||
      static_cast<uint8_t>(envelope[0]) != kEnvelopeV1) {
    return DataLossError("stored record is malformed");
  }
  uint32_t term = ReadU32Be(envelope.substr(1, 4));
  auto it = keyring_->terms.find(term);
  if (it == keyring_->terms.end()) {
    return DataLossError("stored record names an unknown term", kUnknownTermReason);
  }
  // The keyring is checked first on every record, so a barrier sealed meanwhile stops the
  // transaction even though its opener still holds the term's key schedule.
  if (!cached.opener || cached.term != term) {
    ASSIGN_OR_RETURN(crypto::AesGcmOpener opener, crypto::AesGcmOpener::Create(it->second));
    cached.opener = std::move(opener);
    cached.term = term;
  }
  auto plain = cached.opener->Open(envelope.substr(5, crypto::kGcmNonceSize),
                                   envelope.substr(kEnvelopeHeader), RecordAad(storage_key, term));
  if (!plain.ok()) return DataLossError("stored record failed authentication");
  return plain;
}

Status Barrier::Update(const BarrierFn& fn) {
  if (sealed()) return SealedError();
  bool own_term = true;
  {
    std::shared_lock lock(mu_);
    own_term = keyring_ != nullptr && keyring_->current_term != kNoOwnTerm;
  }
  // Unsealed while the storage took no writes: add this node's term first. While the storage
  // still refuses writes this fails as the write itself would have (failover: 503 read-only).
  if (!own_term) RETURN_IF_ERROR(RotateTerm());
  MaybeRotate();
  std::vector<std::string> published;  // by every run of fn (the engine may retry it)
  Status s = storage_.Update([&](store::Transaction& t) {
    Txn txn(*this, t, &published);
    return fn(txn);
  });
  if (!published.empty()) {
    std::sort(published.begin(), published.end());
    published.erase(std::unique(published.begin(), published.end()), published.end());
    for (const std::string& topic : published) DeliverCacheTopic(topic);
  }
  return s;
}

Status Barrier::View(const BarrierFn& fn) {
  if (sealed()) return SealedError();
  return storage_.View([&](store::Transaction& t) {
    Txn txn(*this, t);
    return fn(txn);
  });
}

StatusOr<std::string> Barrier::IndexMac(std::string_view purpose, std::string_view data) const {
  std::shared_lock lock(mu_);
  if (!keyring_) return SealedError();
  std::string msg = U32Be(static_cast<uint32_t>(purpose.size()));
  msg += purpose;
  msg += U32Be(static_cast<uint32_t>(data.size()));
  msg += data;
  return crypto::HmacSha256(keyring_->index_key, msg);
}

StatusOr<SecretBytes> Barrier::DeriveBackupKey(std::string_view salt,
                                               std::string_view info) const {
  std::shared_lock lock(mu_);
  if (!keyring_) return SealedError();
  return crypto::HkdfSha256(keyring_->backup_root, salt, info, 32);
}

StatusOr<std::string> Barrier::BackupRootId() const {
  std::shared_lock lock(mu_);
  if (!keyring_) return SealedError();
  return keyring_->backup_root_id;
}

StatusOr<std::optional<SecretBytes>> Txn::Get(std::string_view key) {
  ASSIGN_OR_RETURN(auto raw, inner_.Get(key));
  if (!raw) return std::optional<SecretBytes>();
  ASSIGN_OR_RETURN(SecretBytes plain, barrier_.DecryptIn(inner_, key, *raw, opener_));
  return std::optional<SecretBytes>(std::move(plain));
}

StatusOr<std::vector<std::optional<SecretBytes>>> Txn::GetMany(
    const std::vector<std::string_view>& keys) {
  ASSIGN_OR_RETURN(auto raws, inner_.GetMany(keys));
  if (raws.size() != keys.size()) {
    return InternalError("storage answered " + std::to_string(raws.size()) + " values for " +
                         std::to_string(keys.size()) + " keys");
  }
  std::vector<std::optional<SecretBytes>> out;
  out.reserve(raws.size());
  for (size_t i = 0; i < raws.size(); ++i) {
    if (!raws[i]) {
      out.emplace_back();
      continue;
    }
    ASSIGN_OR_RETURN(SecretBytes plain, barrier_.DecryptIn(inner_, keys[i], *raws[i], opener_));
    out.emplace_back(std::move(plain));
  }
  return out;
}

StatusOr<std::vector<std::pair<std::string, SecretBytes>>> Txn::Scan(std::string_view prefix,
                                                                      std::string_view start_after,
                                                                      size_t limit) {
  ASSIGN_OR_RETURN(auto entries, inner_.Scan(prefix, start_after, limit));
  std::vector<std::pair<std::string, SecretBytes>> out;
  out.reserve(entries.size());
  for (auto& e : entries) {
    ASSIGN_OR_RETURN(SecretBytes plain, barrier_.DecryptIn(inner_, e.key, e.value, opener_));
    out.emplace_back(std::move(e.key), std::move(plain));
  }
  return out;
}

Status Txn::Put(std::string_view key, const SecretBytes& plaintext) {
  ASSIGN_OR_RETURN(std::string envelope, barrier_.Encrypt(key, plaintext));
  return inner_.Put(key, envelope);
}

Status Txn::Delete(std::string_view key) { return inner_.Delete(key); }

Status Txn::DeletePrefix(std::string_view prefix) {
  ASSIGN_OR_RETURN(auto entries, inner_.Scan(prefix, "", 0));
  for (const auto& e : entries) RETURN_IF_ERROR(inner_.Delete(e.key));
  return OkStatus();
}

StatusOr<std::vector<std::string>> Txn::ScanKeys(std::string_view prefix,
                                                 std::string_view start_after, size_t limit) {
  ASSIGN_OR_RETURN(auto entries, inner_.Scan(prefix, start_after, limit));
  std::vector<std::string> keys;
  keys.reserve(entries.size());
  for (auto& e : entries) keys.push_back(std::move(e.key));
  return keys;
}

}  // namespace coffer::barrier
