// ObjectLifecycle<V, ViewT>: the calls every single-object service (secrets, keys) answers the
// same way — get, list, list versions, soft delete, read and list deleted, recover, purge — written
// once over the object store (object_store.h). A service derives from it and keeps only what is
// particular to its kind; the checks and schedules a kind attaches to these steps are its
// KindTraits' hooks, which the store runs inside each transaction.
//
// ViewT is ObjectView<V> or derives from it; a service whose full view needs more than the
// stored version (a key's public JWK) overrides FullView. List items and deleted objects never
// carry secret material (KindTraits::Wipe).
//
// Status codes: as the store's — NotFound naming the kind, AlreadyExists
// [ObjectIsDeletedButRecoverable], PermissionDenied [Forbidden] for a purge under purge
// protection and [<Kind>ManagedByKeyVault]-style 403s when a certificate manages the object;
// Unavailable when sealed or storage fails.
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "barrier/barrier.h"
#include "core/clock.h"
#include "model/vault_record.h"
#include "vault/object_records.h"
#include "vault/object_store.h"

namespace coffer::vault {

// One version of one object, with its object's name and soft-delete state.
template <typename V>
struct ObjectView {
  std::string name;
  V version;
  std::optional<model::DeletedInfo> deleted;
};

// The attribute changes an update of any kind takes (ApplyAttributePatch, object_store.h).
struct AttributePatch {
  std::optional<model::Tags> tags;
  std::optional<bool> enabled;
  // Outer optional: field present; inner nullopt: explicitly cleared (JSON null).
  std::optional<std::optional<UnixSeconds>> not_before;
  std::optional<std::optional<UnixSeconds>> expires;
};

// One page of a list; `next_token` is empty on the last page.
template <typename ViewT>
struct ObjectPage {
  std::vector<ViewT> items;
  std::string next_token;
};

template <typename V, typename ViewT>
class ObjectLifecycle {
 public:
  using Page = ObjectPage<ViewT>;

  // version "" = latest; refused when the kind says the version is not readable (CheckReadable).
  StatusOr<ViewT> Get(const model::VaultRecord& vault, std::string_view name,
                      std::string_view version) {
    ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
    ASSIGN_OR_RETURN(auto found, store_.ReadLive(barrier_, loc, name, version));
    ASSIGN_OR_RETURN(ViewT view, FullView(loc, std::move(found)));
    RETURN_IF_ERROR(CheckReadable(view));
    return view;
  }
  StatusOr<Page> List(const model::VaultRecord& vault, size_t max_results,
                      std::string_view page_token) {
    ASSIGN_OR_RETURN(auto stored, store_.List(barrier_, vault.id, page_token, max_results));
    return Items(std::move(stored));
  }
  // A name that never existed → an empty page, as in Azure.
  StatusOr<Page> ListVersions(const model::VaultRecord& vault, std::string_view name,
                              size_t max_results, std::string_view page_token) {
    ASSIGN_OR_RETURN(auto stored,
                     store_.ListVersions(barrier_, vault.id, name, page_token, max_results));
    return Items(std::move(stored));
  }

  // Soft delete; 403 when a certificate manages the object.
  StatusOr<ViewT> Delete(const model::VaultRecord& vault, std::string_view name) {
    ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
    UnixSeconds now = clock_.Now();
    auto write = [&](barrier::Txn& t, TxnEffects& effects) -> StatusOr<StoredObject<V>> {
      RETURN_IF_ERROR(store_.CheckNotManaged(t, loc, "delete"));
      return store_.SoftDelete(t, effects, vault, loc, name, now);
    };
    ASSIGN_OR_RETURN(auto found, WriteInTxn(barrier_, write));
    return WipedView(loc, std::move(found));
  }
  StatusOr<ViewT> GetDeleted(const model::VaultRecord& vault, std::string_view name) {
    ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
    ASSIGN_OR_RETURN(auto found, store_.ReadDeleted(barrier_, loc, name));
    return WipedView(loc, std::move(found));
  }
  // A deleted certificate's key or secret is read by name but not listed (Azure's behaviour).
  StatusOr<Page> ListDeleted(const model::VaultRecord& vault, size_t max_results,
                             std::string_view page_token) {
    ASSIGN_OR_RETURN(auto stored,
                     store_.ListDeleted(barrier_, vault.id, page_token, max_results));
    std::erase_if(stored.items, [](const auto& item) { return item.version.managed; });
    return Items(std::move(stored));
  }
  StatusOr<ViewT> Recover(const model::VaultRecord& vault, std::string_view name) {
    ASSIGN_OR_RETURN(ObjectLocation loc, store_.Locate(vault.id, name));
    ASSIGN_OR_RETURN(auto found, store_.Recover(barrier_, loc, name));
    return FullView(loc, std::move(found));
  }
  Status Purge(const model::VaultRecord& vault, std::string_view name) {
    return store_.Purge(barrier_, vault, name);
  }

 protected:
  // All three must outlive this; `store` may be a member of the derived class (it is only used
  // once construction is over).
  ObjectLifecycle(barrier::Barrier& barrier, const Clock& clock, const ObjectStore<V>& store)
      : barrier_(barrier), clock_(clock), store_(store) {}
  virtual ~ObjectLifecycle() = default;

  // The view of a version read by the store: its name, the version, the soft-delete state.
  static ViewT ItemView(StoredObject<V> found) {
    ViewT view;
    view.name = std::move(found.head.name);
    view.version = std::move(found.version);
    view.deleted = found.head.deleted;
    return view;
  }
  // What Get, Delete, GetDeleted and Recover answer; ItemView unless the kind adds to it.
  virtual StatusOr<ViewT> FullView(const ObjectLocation&, StoredObject<V> found) {
    return ItemView(std::move(found));
  }
  // Whether Get may hand out a live version (a secret's disabled version is unreadable).
  virtual Status CheckReadable(const ViewT&) const { return OkStatus(); }

  barrier::Barrier& barrier_;
  const Clock& clock_;

 private:
  // A deleted object's view carries no secret material.
  StatusOr<ViewT> WipedView(const ObjectLocation& loc, StoredObject<V> found) {
    ASSIGN_OR_RETURN(ViewT view, FullView(loc, std::move(found)));
    store_.traits().Wipe(view.version);
    return view;
  }
  Page Items(StoredPage<V> stored) {
    Page page;
    for (auto& item : stored.items) page.items.push_back(ItemView(std::move(item)));
    page.next_token = std::move(stored.next_token);
    return page;
  }

  const ObjectStore<V>& store_;
};

}  // namespace coffer::vault
