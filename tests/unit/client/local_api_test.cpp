#include "core/client/local_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/api/codec.h"
#include "tests/unit/client/client_test_util.h"

namespace navarch::client {
namespace {

using api::Pod;
using ::testing::HasSubstr;
using testing::MakeNamespace;
using testing::MakePod;

class LocalApiTest : public testing::ApiTest {};

TEST_F(LocalApiTest, CreateFillsServerFieldsAndStoresUnderRegistryKey) {
  clock_.Advance(seconds(5));
  auto pod = MustCreate(MakePod("default", "web"));
  ASSERT_TRUE(pod);
  EXPECT_FALSE(pod->metadata.uid.empty());
  EXPECT_EQ(pod->metadata.creation_timestamp, clock_.Now());
  EXPECT_EQ(pod->metadata.generation, 1);
  EXPECT_EQ(pod->metadata.resource_version, std::to_string(store_.CurrentRevision()));

  auto kv = store_.Get("/registry/pods/default/web");
  ASSERT_TRUE(kv.ok()) << kv.status();
  EXPECT_THAT(kv->value, HasSubstr("\"name\":\"web\""));  // JSON is written by default
  EXPECT_TRUE(kv->cached);

  auto got = api_.Get<Pod>("default", "web");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE((*got)->Equals(*pod));
}

TEST_F(LocalApiTest, DecodeStoredHandsTheStoreADecodedFormOfWhatItLoadedRaw) {
  // As after a restart: values in the store, no decoded forms.
  auto pod = MustCreate(MakePod("default", "web"));
  ASSERT_TRUE(pod);
  const std::string json = store_.Get("/registry/pods/default/web")->value;
  ASSERT_TRUE(store_.Delete("/registry/pods/default/web", 0).ok());
  auto raw = store_.Create("/registry/pods/default/web", json);
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(store_.Create("/registry/pods/default/broken", "{not json").ok());
  ASSERT_EQ(store_.Get("/registry/pods/default/web")->cached, nullptr);

  std::vector<std::string> unreadable;
  auto decoded = api_.DecodeStored(&unreadable);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, 1) << "the pod, not the undecodable value";
  ASSERT_EQ(unreadable.size(), 1u);
  EXPECT_THAT(unreadable[0], HasSubstr("/registry/pods/default/broken cannot be decoded"));
  EXPECT_THAT(unreadable[0], HasSubstr("kubectl delete pods broken -n default"));
  auto kv = store_.Get("/registry/pods/default/web");
  ASSERT_NE(kv->cached, nullptr);
  auto got = api_.Get<Pod>("default", "web");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(static_cast<const void*>(got->get()), kv->cached.get()) << "read without decoding";
  EXPECT_EQ((*got)->metadata.resource_version, std::to_string(raw->mod_revision));
  EXPECT_EQ((*got)->metadata.uid, pod->metadata.uid);
  // The undecodable value is reported by every read of it, naming its key;
  // lists leave it out with a warning; a delete removes it.
  auto broken = api_.Get<Pod>("default", "broken");
  EXPECT_EQ(broken.code(), Code::kInternal);
  EXPECT_THAT(broken.status().message(), HasSubstr("/registry/pods/default/broken"));
  auto list = api_.List(Kind::kPod, {});
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->items.size(), 1u);
  ASSERT_EQ(list->warnings.size(), 1u);
  EXPECT_THAT(list->warnings[0], HasSubstr("/registry/pods/default/broken"));
  std::vector<std::string> encoded;
  auto fast = api_.List(Kind::kPod, {}, &encoded);
  ASSERT_TRUE(fast.ok());
  EXPECT_EQ(encoded.size(), 1u) << "the unreadable value is not passed through";
  EXPECT_EQ(fast->warnings.size(), 1u);
  EXPECT_EQ(*api_.DecodeStored(), 0) << "nothing left to decode";
  EXPECT_TRUE(api_.Delete(Kind::kPod, "default", "broken", {}).ok());
  EXPECT_EQ(store_.Get("/registry/pods/default/broken").code(), Code::kNotFound);
}

TEST_F(LocalApiTest, ReadsHandTheStoreWhatTheyDecoded) {
  auto pod = MustCreate(MakePod("default", "web"));
  ASSERT_TRUE(pod);
  const std::string json = store_.Get("/registry/pods/default/web")->value;
  ASSERT_TRUE(store_.Update("/registry/pods/default/web", json, 0).ok());
  ASSERT_EQ(store_.Get("/registry/pods/default/web")->cached, nullptr);
  auto first = api_.Get<Pod>("default", "web");
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = api_.Get<Pod>("default", "web");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->get(), second->get()) << "the second read reuses the first one's object";
}

TEST_F(LocalApiTest, NamespacedObjectWithoutNamespaceGoesToDefault) {
  auto pod = MustCreate(MakePod("", "web"));
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->metadata.namespace_, "default");
}

TEST_F(LocalApiTest, CreateOfExistingNameIsAlreadyExistsNamingTheObject) {
  MustCreate(MakePod("default", "web"));
  auto again = api_.Create(MakePod("default", "web"));
  EXPECT_EQ(again.code(), Code::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("pods/default/web"));
}

TEST_F(LocalApiTest, GetMissingIsNotFoundNamingTheObject) {
  auto r = api_.Get(api::Kind::kNode, "", "n1");
  EXPECT_EQ(r.code(), Code::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("nodes/n1"));
}

TEST_F(LocalApiTest, GenerateNameAppendsADeterministicSuffix) {
  Pod pod = MakePod("default", "");
  pod.metadata.generate_name = "web-";
  auto a = api_.Create(pod);
  auto b = api_.Create(pod);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_THAT((*a)->metadata.name, ::testing::StartsWith("web-"));
  EXPECT_EQ((*a)->metadata.name.size(), 9u);
  EXPECT_NE((*a)->metadata.name, (*b)->metadata.name);

  // Same seed, same names and uids.
  store::MemoryStore store2;
  runtime::ManualClock clock2;
  LocalApi api2(store2, clock2);
  auto a2 = api2.Create(pod);
  ASSERT_TRUE(a2.ok());
  EXPECT_EQ((*a2)->metadata.name, (*a)->metadata.name);
  EXPECT_EQ((*a2)->metadata.uid, (*a)->metadata.uid);

  // A different seed gives different ones.
  store::MemoryStore store3;
  LocalApi api3(store3, clock2, LocalApiOptions{.seed = 99});
  auto a3 = api3.Create(pod);
  ASSERT_TRUE(a3.ok());
  EXPECT_NE((*a3)->metadata.uid, (*a)->metadata.uid);
}

TEST_F(LocalApiTest, MissingNameAndGenerateNameIsInvalid) {
  auto r = api_.Create(MakePod("default", ""));
  EXPECT_EQ(r.code(), Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("metadata.name"));
}

TEST_F(LocalApiTest, ValidationErrorsListEveryProblem) {
  Pod pod = MakePod("default", "Bad_Name");
  pod.spec.Mutable().containers[0].image = "";
  auto r = api_.Create(pod);
  ASSERT_EQ(r.code(), Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("Pod \"Bad_Name\" is invalid"));
  ASSERT_EQ(r.status().causes().size(), 2u);
  EXPECT_EQ(r.status().causes()[0].field, "metadata.name");
  EXPECT_EQ(r.status().causes()[1].field, "spec.containers[0].image");
  EXPECT_THAT(r.status().message(), HasSubstr("metadata.name"));
  EXPECT_THAT(r.status().message(), HasSubstr("spec.containers[0].image"));
  EXPECT_EQ(store_.CurrentRevision(), 0);  // nothing written
}

TEST_F(LocalApiTest, NamespacedObjectsNeedAnExistingNamespace) {
  auto r = api_.Create(MakePod("team-a", "web"));
  EXPECT_EQ(r.code(), Code::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("namespaces/team-a"));
  ASSERT_TRUE(api_.Create(MakeNamespace("team-a")).ok());
  EXPECT_TRUE(api_.Create(MakePod("team-a", "web")).ok());
  // The built-in namespaces always exist.
  EXPECT_TRUE(api_.Create(MakePod("kube-system", "dns")).ok());
}

TEST_F(LocalApiTest, NamespaceCheckCanBeTurnedOff) {
  LocalApi api(store_, clock_, LocalApiOptions{.require_namespace = false});
  EXPECT_TRUE(api.Create(MakePod("anywhere", "web")).ok());
}

TEST_F(LocalApiTest, UpdateWithStaleResourceVersionConflictsNamingBothVersions) {
  auto v1 = MustCreate(MakePod("default", "web"));
  Pod a = *v1;
  a.metadata.labels["x"] = "1";
  auto v2 = api_.Update(a);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_NE((*v2)->metadata.resource_version, v1->metadata.resource_version);

  Pod stale = *v1;
  stale.metadata.labels["x"] = "2";
  auto r = api_.Update(stale);
  ASSERT_EQ(r.code(), Code::kConflict);
  EXPECT_THAT(r.status().message(), HasSubstr("pods/default/web"));
  EXPECT_THAT(r.status().message(), HasSubstr(v1->metadata.resource_version));
  EXPECT_THAT(r.status().message(), HasSubstr((*v2)->metadata.resource_version));

  // An empty resourceVersion is unconditional.
  stale.metadata.resource_version.clear();
  auto forced = api_.Update(stale);
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_EQ((*forced)->metadata.labels.at("x"), "2");
}

TEST_F(LocalApiTest, UpdateOfMissingObjectIsNotFound) {
  EXPECT_EQ(api_.Update(MakePod("default", "ghost")).code(), Code::kNotFound);
}

TEST_F(LocalApiTest, GenerationBumpsOnlyWhenSpecChanges) {
  auto v1 = MustCreate(MakePod("default", "web"));
  Pod labels = *v1;
  labels.metadata.labels["a"] = "b";
  auto v2 = api_.Update(labels);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ((*v2)->metadata.generation, 1);

  Pod spec = **v2;
  spec.spec.Mutable().containers[0].image = "nginx:1.26";
  auto v3 = api_.Update(spec);
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ((*v3)->metadata.generation, 2);
}

TEST_F(LocalApiTest, UpdateKeepsServerOwnedMetadata) {
  auto v1 = MustCreate(MakePod("default", "web"));
  Pod p = *v1;
  p.metadata.uid = "forged";
  // A uid is a precondition, as in Kubernetes: another one is a conflict.
  auto forged = api_.Update(p);
  EXPECT_EQ(forged.code(), Code::kConflict);
  EXPECT_THAT(forged.status().message(), HasSubstr("Precondition failed: UID in precondition"));
  p.metadata.uid.clear();
  p.metadata.creation_timestamp = Time::FromUnixSeconds(1);
  p.metadata.generation = 42;
  p.metadata.labels["a"] = "b";
  auto v2 = api_.Update(p);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ((*v2)->metadata.uid, v1->metadata.uid);
  EXPECT_EQ((*v2)->metadata.creation_timestamp, v1->metadata.creation_timestamp);
  EXPECT_EQ((*v2)->metadata.generation, 1);
}

TEST_F(LocalApiTest, NoOpUpdateWritesNothing) {
  auto v1 = MustCreate(MakePod("default", "web"));
  auto rev = store_.CurrentRevision();
  auto v2 = api_.Update(*v1);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(store_.CurrentRevision(), rev);
  EXPECT_EQ((*v2)->metadata.resource_version, v1->metadata.resource_version);
}

TEST_F(LocalApiTest, UpdateStatusChangesOnlyStatusAndUpdateOnlySpec) {
  auto v1 = MustCreate(MakePod("default", "web"));
  Pod s = *v1;
  s.status.phase = std::string(api::kPodRunning);
  s.spec.Mutable().node_name = "sneaky";  // ignored by UpdateStatus
  s.metadata.labels["ignored"] = "yes";
  auto v2 = api_.UpdateStatus(s);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ((*v2)->status.phase, api::kPodRunning);
  EXPECT_EQ((*v2)->spec->node_name, "");
  EXPECT_EQ((*v2)->metadata.labels.count("ignored"), 0u);
  EXPECT_EQ((*v2)->metadata.generation, 1);

  Pod u = **v2;
  u.status.phase = std::string(api::kPodFailed);  // ignored by Update
  u.spec.Mutable().containers[0].image = "nginx:1.26";
  auto v3 = api_.Update(u);
  ASSERT_TRUE(v3.ok()) << v3.status();
  EXPECT_EQ((*v3)->status.phase, api::kPodRunning);
  EXPECT_EQ((*v3)->spec->containers[0].image, "nginx:1.26");
  EXPECT_EQ((*v3)->metadata.generation, 2);
}

TEST_F(LocalApiTest, UpdateStatusSharesTheStoredSpecAndValidatesTheStatus) {
  auto v1 = MustCreate(MakePod("default", "web"));
  Pod s = *v1;
  s.status.phase = std::string(api::kPodRunning);
  auto v2 = api_.UpdateStatus(s);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_TRUE((*v2)->spec.SharesWith(v1->spec));  // no copy of the spec

  Pod bad = **v2;
  bad.status.phase = "Sleeping";
  auto v3 = api_.UpdateStatus(bad);
  EXPECT_EQ(v3.code(), Code::kInvalidArgument);
  EXPECT_NE(v3.status().message().find("status.phase"), std::string::npos) << v3.status();
}

TEST_F(LocalApiTest, UpdateStatusOfKindWithoutStatusIsInvalid) {
  api::Endpoints ep;
  ep.metadata.namespace_ = "default";
  ep.metadata.name = "web";
  ASSERT_TRUE(api_.Create(ep).ok());
  EXPECT_EQ(api_.UpdateStatus(ep).code(), Code::kInvalidArgument);
}

TEST_F(LocalApiTest, DeleteOfBoundPodIsGraceful) {
  MustCreate(MakePod("default", "web", {}, "n1"));
  clock_.Advance(seconds(10));
  auto r = api_.Delete<Pod>("default", "web");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE((*r)->metadata.deletion_timestamp);
  EXPECT_EQ(*(*r)->metadata.deletion_timestamp, clock_.Now() + seconds(30));
  EXPECT_EQ((*r)->metadata.deletion_grace_period_seconds, 30);
  // Still there for the kubelet to see and stop.
  EXPECT_TRUE(api_.Get<Pod>("default", "web").ok());

  // A longer grace does not extend it; a shorter one shortens it.
  auto longer = api_.Delete<Pod>("default", "web", DeleteOptions{.grace_period_seconds = 60});
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ((*longer)->metadata.deletion_grace_period_seconds, 30);
  auto shorter = api_.Delete<Pod>("default", "web", DeleteOptions{.grace_period_seconds = 5});
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ((*shorter)->metadata.deletion_grace_period_seconds, 5);
  EXPECT_EQ(*(*shorter)->metadata.deletion_timestamp, clock_.Now() + seconds(5));

  // The kubelet confirms with grace 0.
  auto gone = api_.Delete<Pod>("default", "web", DeleteOptions{.grace_period_seconds = 0});
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_EQ(api_.Get<Pod>("default", "web").code(), Code::kNotFound);
}

TEST_F(LocalApiTest, GracePeriodComesFromTheSpec) {
  Pod pod = MakePod("default", "web", {}, "n1");
  pod.spec.Mutable().termination_grace_period_seconds = 7;
  MustCreate(pod);
  auto r = api_.Delete<Pod>("default", "web");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->metadata.deletion_grace_period_seconds, 7);
}

TEST_F(LocalApiTest, UnboundPodsAndOtherKindsAreDeletedAtOnce) {
  MustCreate(MakePod("default", "pending"));
  ASSERT_TRUE(api_.Delete<Pod>("default", "pending").ok());
  EXPECT_EQ(api_.Get<Pod>("default", "pending").code(), Code::kNotFound);

  api::Service svc;
  svc.metadata.name = "web";
  svc.metadata.namespace_ = "default";
  svc.spec.ports.push_back({.port = 80});
  ASSERT_TRUE(api_.Create(svc).ok());
  ASSERT_TRUE(api_.Delete(api::Kind::kService, "default", "web").ok());
  EXPECT_EQ(api_.Get(api::Kind::kService, "default", "web").code(), Code::kNotFound);
  EXPECT_EQ(api_.Delete(api::Kind::kService, "default", "web").code(), Code::kNotFound);

  // A Namespace waits for the namespace controller (its spec.finalizers).
  ASSERT_TRUE(api_.Create(MakeNamespace("team-a")).ok());
  ASSERT_TRUE(api_.Delete(api::Kind::kNamespace, "", "team-a").ok());
  auto ns = api_.Get<api::Namespace>("", "team-a");
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ((*ns)->status.phase, "Terminating");
  api::Namespace done = **ns;
  done.spec.finalizers.clear();
  ASSERT_TRUE(api_.Update(done).ok());
  EXPECT_EQ(api_.Get(api::Kind::kNamespace, "", "team-a").code(), Code::kNotFound);
}

TEST_F(LocalApiTest, DeletePreconditions) {
  auto v1 = MustCreate(MakePod("default", "web"));
  Pod p = *v1;
  p.metadata.labels["a"] = "b";
  ASSERT_TRUE(api_.Update(p).ok());
  auto stale = api_.Delete<Pod>("default", "web",
                                DeleteOptions{.resource_version = v1->metadata.resource_version});
  EXPECT_EQ(stale.code(), Code::kConflict);
  auto wrong_uid = api_.Delete<Pod>("default", "web", DeleteOptions{.uid = "other"});
  EXPECT_EQ(wrong_uid.code(), Code::kConflict);
  EXPECT_TRUE(api_.Delete<Pod>("default", "web", DeleteOptions{.uid = v1->metadata.uid}).ok());
}

TEST_F(LocalApiTest, ListFiltersByNamespaceLabelsAndFields) {
  ASSERT_TRUE(api_.Create(MakeNamespace("b")).ok());
  MustCreate(MakePod("default", "a1", {{"app", "web"}}, "n1"));
  MustCreate(MakePod("default", "a2", {{"app", "db"}}, "n2"));
  MustCreate(MakePod("b", "b1", {{"app", "web"}}));

  auto all = api_.List<Pod>();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 3u);
  EXPECT_EQ(all->resource_version, std::to_string(store_.CurrentRevision()));

  auto ns = api_.List<Pod>(ListOptions{.namespace_ = "b"});
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(ns->items.size(), 1u);
  EXPECT_EQ(ns->items[0]->metadata.name, "b1");

  auto web = api_.List<Pod>(ListOptions{.label_selector = *api::LabelSelector::Parse("app=web")});
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(web->items.size(), 2u);

  auto on_n2 =
      api_.List<Pod>(ListOptions{.field_selector = *FieldSelector::Parse("spec.nodeName=n2")});
  ASSERT_TRUE(on_n2.ok());
  ASSERT_EQ(on_n2->items.size(), 1u);
  EXPECT_EQ(on_n2->items[0]->metadata.name, "a2");

  auto unbound =
      api_.List<Pod>(ListOptions{.field_selector = *FieldSelector::Parse("spec.nodeName=")});
  ASSERT_TRUE(unbound.ok());
  ASSERT_EQ(unbound->items.size(), 1u);
  EXPECT_EQ(unbound->items[0]->metadata.name, "b1");

  auto bad =
      api_.List(api::Kind::kNode,
                ListOptions{.field_selector = *FieldSelector::Parse("status.phase=Running")});
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
}

TEST_F(LocalApiTest, ListPagesAreOneConsistentSnapshot) {
  for (int i = 0; i < 7; ++i)
    MustCreate(MakePod("default", "p" + std::to_string(i)));
  ListOptions opts{.limit = 3};
  auto p1 = api_.List<Pod>(opts);
  ASSERT_TRUE(p1.ok()) << p1.status();
  ASSERT_EQ(p1->items.size(), 3u);
  ASSERT_FALSE(p1->continue_token.empty());

  // Writes after the first page are not seen by later pages.
  MustCreate(MakePod("default", "p9"));
  ASSERT_TRUE(api_.Delete<Pod>("default", "p6").ok());

  std::vector<std::string> names;
  for (auto& p : p1->items)
    names.push_back(p->metadata.name);
  std::string token = p1->continue_token;
  while (!token.empty()) {
    opts.continue_token = token;
    auto page = api_.List<Pod>(opts);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->resource_version, p1->resource_version);
    for (auto& p : page->items)
      names.push_back(p->metadata.name);
    token = page->continue_token;
  }
  EXPECT_THAT(names, ::testing::ElementsAre("p0", "p1", "p2", "p3", "p4", "p5", "p6"));

  opts.continue_token = "garbage";
  EXPECT_EQ(api_.List<Pod>(opts).code(), Code::kInvalidArgument);
}

TEST_F(LocalApiTest, ListAtAnOldResourceVersionAndAfterCompaction) {
  auto v1 = MustCreate(MakePod("default", "a"));
  MustCreate(MakePod("default", "b"));
  auto old = api_.List<Pod>(ListOptions{.resource_version = v1->metadata.resource_version});
  ASSERT_TRUE(old.ok()) << old.status();
  ASSERT_EQ(old->items.size(), 1u);
  EXPECT_EQ(old->items[0]->metadata.name, "a");

  ASSERT_TRUE(store_.Compact(store_.CurrentRevision()).ok());
  auto compacted = api_.List<Pod>(ListOptions{.resource_version = v1->metadata.resource_version});
  EXPECT_EQ(compacted.code(), Code::kCompacted);
}

TEST_F(LocalApiTest, ObjectsAreSharedNotCopiedOnReadsFromAMemoryStore) {
  auto created = api_.Create(MakePod("default", "web"));
  ASSERT_TRUE(created.ok());
  auto got = api_.Get(api::Kind::kPod, "default", "web");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->get(), created->get());
}

TEST(LocalApiNoEncodingTest, SkipsJsonButServesReadsFromTheCachedObject) {
  store::MemoryStore store;
  runtime::ManualClock clock;
  LocalApi api(store, clock, LocalApiOptions{.encode_values = false});
  ASSERT_TRUE(api.Create(MakePod("default", "web")).ok());
  auto kv = store.Get("/registry/pods/default/web");
  ASSERT_TRUE(kv.ok());
  EXPECT_TRUE(kv->value.empty());
  auto got = api.Get<Pod>("default", "web");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)->spec->containers[0].image, "nginx:1.25");
}

TEST(LocalApiDecodeTest, ObjectsWithoutACachedCopyAreDecodedFromJson) {
  store::MemoryStore store;
  runtime::ManualClock clock;
  LocalApi api(store, clock);
  auto created = api.Create(MakePod("default", "web"));
  ASSERT_TRUE(created.ok());
  auto kv = store.Get("/registry/pods/default/web");
  ASSERT_TRUE(kv.ok());
  store::KeyValue plain = *kv;
  plain.cached.reset();
  auto decoded = ObjectFromKeyValue(plain);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE((*decoded)->Equals(**created));
}

TEST_F(LocalApiTest, ListWithEncodedItemsGivesEachItemsJsonWithItsResourceVersion) {
  ASSERT_TRUE(MustCreate(MakePod("default", "a")));
  auto b = MustCreate(MakePod("default", "b"));
  ASSERT_TRUE(b);
  api::Pod relabelled = *b;
  relabelled.metadata.labels["tier"] = "web";
  ASSERT_TRUE(api_.Update(relabelled).ok());
  ListOptions lo;
  lo.namespace_ = "default";
  std::vector<std::string> encoded;
  auto list = api_.List(api::Kind::kPod, lo, &encoded);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_TRUE(list->items.empty());
  ASSERT_EQ(encoded.size(), 2u);
  for (size_t i = 0; i < encoded.size(); ++i) {
    auto decoded = api::DecodeJson(encoded[i]);
    ASSERT_TRUE(decoded.ok()) << decoded.status() << "\n" << encoded[i];
    auto stored = api_.Get(api::Kind::kPod, "default", i == 0 ? "a" : "b");
    ASSERT_TRUE(stored.ok());
    EXPECT_TRUE((*decoded)->Equals(**stored)) << encoded[i];
    EXPECT_EQ((*decoded)->metadata.resource_version, (*stored)->metadata.resource_version);
    EXPECT_FALSE((*decoded)->metadata.resource_version.empty());
  }
  EXPECT_EQ(list->resource_version, api_.List(api::Kind::kPod, lo)->resource_version);
  // A label selector lists (and encodes) only what matches.
  lo.label_selector = *api::LabelSelector::Parse("tier=web");
  encoded.clear();
  list = api_.List(api::Kind::kPod, lo, &encoded);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(encoded.size(), 1u);
  EXPECT_THAT(encoded[0], HasSubstr("\"name\":\"b\""));
}

TEST_F(LocalApiTest, ListWithEncodedItemsPagesWithLimitAndContinue) {
  for (const char* name : {"a", "b", "c"})
    ASSERT_TRUE(MustCreate(MakePod("default", name)));
  ListOptions lo;
  lo.namespace_ = "default";
  lo.limit = 2;
  std::vector<std::string> encoded;
  auto first = api_.List(api::Kind::kPod, lo, &encoded);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(encoded.size(), 2u);
  EXPECT_THAT(encoded[0], HasSubstr("\"name\":\"a\""));
  EXPECT_THAT(encoded[1], HasSubstr("\"name\":\"b\""));
  ASSERT_FALSE(first->continue_token.empty());
  lo.continue_token = first->continue_token;
  encoded.clear();
  auto second = api_.List(api::Kind::kPod, lo, &encoded);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(encoded.size(), 1u);
  EXPECT_THAT(encoded[0], HasSubstr("\"name\":\"c\""));
  EXPECT_TRUE(second->continue_token.empty());
  EXPECT_EQ(second->resource_version, first->resource_version);
}

}  // namespace
}  // namespace navarch::client
