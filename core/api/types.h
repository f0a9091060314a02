#pragma once
// The concrete API kinds in Kubernetes v1 wire shape: Pod, Node,
// ReplicationController, Service, Endpoints, Event, Namespace.
//
// C++ members mirror the v1 JSON field names in snake_case (`node_name` for
// `nodeName`, `namespace_` where the name is a keyword). A member is
// std::optional where the wire distinguishes "absent" from the zero value
// (`replicas`, `terminationGracePeriodSeconds`, ...); otherwise the zero value
// means "unset" and is omitted when encoding, as Kubernetes' omitempty does.
// Timestamps are navarch::Time (zero = unset) or std::optional<Time>.
//
// Codecs are in core/api/codec.h, validation in core/api/validation.h.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/api/object.h"
#include "core/api/quantity.h"
#include "core/api/shared.h"
#include "core/base/time.h"

namespace navarch::api {

// A value that is either an integer or a string on the wire, e.g. a port
// given as 8080 or as the port name "http".
struct IntOrString {
  enum class Type : uint8_t { kInt, kString };
  Type type = Type::kInt;
  int32_t int_val = 0;
  std::string str_val;

  IntOrString() = default;
  IntOrString(int32_t v) : int_val(v) {}  // NOLINT: implicit like the wire form
  IntOrString(std::string s) : type(Type::kString), str_val(std::move(s)) {}  // NOLINT
  IntOrString(const char* s) : type(Type::kString), str_val(s) {}             // NOLINT

  bool is_string() const { return type == Type::kString; }
  bool is_int() const { return type == Type::kInt; }
  // "8080" or "http".
  std::string ToString() const { return is_string() ? str_val : std::to_string(int_val); }
  bool operator==(const IntOrString&) const = default;
};

// Resource name ("cpu", "memory", ...) to amount.
using ResourceList = std::map<std::string, Quantity>;

// Well-known resource names.
inline constexpr std::string_view kResourceCpu = "cpu";
inline constexpr std::string_view kResourceMemory = "memory";
inline constexpr std::string_view kResourcePods = "pods";
inline constexpr std::string_view kResourceEphemeralStorage = "ephemeral-storage";

// ---------------------------------------------------------------------------
// Shared small types

struct ObjectReference {
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string api_version;
  std::string resource_version;
  std::string field_path;
  bool operator==(const ObjectReference&) const = default;
};

struct LocalObjectReference {
  std::string name;
  bool operator==(const LocalObjectReference&) const = default;
};

// ---------------------------------------------------------------------------
// Pod

struct ObjectFieldSelector {
  std::string api_version;
  std::string field_path;  // "metadata.name", "status.podIP", ...
  bool operator==(const ObjectFieldSelector&) const = default;
};

struct KeySelector {  // configMapKeyRef / secretKeyRef
  std::string name;
  std::string key;
  std::optional<bool> optional;
  bool operator==(const KeySelector&) const = default;
};

struct ResourceFieldSelector {
  std::string container_name;
  std::string resource;
  std::optional<Quantity> divisor;
  bool operator==(const ResourceFieldSelector&) const = default;
};

struct EnvVarSource {
  std::optional<ObjectFieldSelector> field_ref;
  std::optional<ResourceFieldSelector> resource_field_ref;
  std::optional<KeySelector> config_map_key_ref;
  std::optional<KeySelector> secret_key_ref;
  bool operator==(const EnvVarSource&) const = default;
};

struct EnvVar {
  std::string name;
  std::string value;
  std::optional<EnvVarSource> value_from;
  bool operator==(const EnvVar&) const = default;
};

struct ContainerPort {
  std::string name;
  int32_t host_port = 0;
  int32_t container_port = 0;
  std::string protocol;  // "TCP" (default), "UDP", "SCTP"
  std::string host_ip;
  bool operator==(const ContainerPort&) const = default;
};

struct ResourceRequirements {
  ResourceList limits;
  ResourceList requests;
  bool operator==(const ResourceRequirements&) const = default;
};

struct VolumeMount {
  std::string name;
  bool read_only = false;
  std::string mount_path;
  std::string sub_path;
  bool operator==(const VolumeMount&) const = default;
};

struct ExecAction {
  std::vector<std::string> command;
  bool operator==(const ExecAction&) const = default;
};

struct HttpHeader {
  std::string name;
  std::string value;
  bool operator==(const HttpHeader&) const = default;
};

struct HttpGetAction {
  std::string path;
  IntOrString port;
  std::string host;
  std::string scheme;  // "HTTP" or "HTTPS"
  std::vector<HttpHeader> http_headers;
  bool operator==(const HttpGetAction&) const = default;
};

struct TcpSocketAction {
  IntOrString port;
  std::string host;
  bool operator==(const TcpSocketAction&) const = default;
};

struct Probe {
  std::optional<ExecAction> exec;
  std::optional<HttpGetAction> http_get;
  std::optional<TcpSocketAction> tcp_socket;
  // Zero means unset; Kubernetes' defaults are 0, 1, 10, 1, 3.
  int32_t initial_delay_seconds = 0;
  int32_t timeout_seconds = 0;
  int32_t period_seconds = 0;
  int32_t success_threshold = 0;
  int32_t failure_threshold = 0;
  std::optional<int64_t> termination_grace_period_seconds;
  bool operator==(const Probe&) const = default;
};

struct Container {
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string working_dir;
  std::vector<ContainerPort> ports;
  std::vector<EnvVar> env;
  ResourceRequirements resources;
  std::vector<VolumeMount> volume_mounts;
  std::optional<Probe> liveness_probe;
  std::optional<Probe> readiness_probe;
  std::optional<Probe> startup_probe;
  std::string termination_message_path;
  std::string termination_message_policy;  // "File", "FallbackToLogsOnError"
  std::string image_pull_policy;           // "Always", "IfNotPresent", "Never"
  bool stdin = false;
  bool stdin_once = false;
  bool tty = false;
  bool operator==(const Container&) const = default;
};

struct EmptyDirVolumeSource {
  std::string medium;  // "" or "Memory"
  std::optional<Quantity> size_limit;
  bool operator==(const EmptyDirVolumeSource&) const = default;
};

struct HostPathVolumeSource {
  std::string path;
  std::optional<std::string> type;
  bool operator==(const HostPathVolumeSource&) const = default;
};

struct KeyToPath {
  std::string key;
  std::string path;
  std::optional<int32_t> mode;
  bool operator==(const KeyToPath&) const = default;
};

struct ConfigMapVolumeSource {
  std::string name;
  std::vector<KeyToPath> items;
  std::optional<int32_t> default_mode;
  std::optional<bool> optional;
  bool operator==(const ConfigMapVolumeSource&) const = default;
};

struct SecretVolumeSource {
  std::string secret_name;
  std::vector<KeyToPath> items;
  std::optional<int32_t> default_mode;
  std::optional<bool> optional;
  bool operator==(const SecretVolumeSource&) const = default;
};

struct PersistentVolumeClaimVolumeSource {
  std::string claim_name;
  bool read_only = false;
  bool operator==(const PersistentVolumeClaimVolumeSource&) const = default;
};

struct Volume {
  std::string name;
  std::optional<HostPathVolumeSource> host_path;
  std::optional<EmptyDirVolumeSource> empty_dir;
  std::optional<SecretVolumeSource> secret;
  std::optional<PersistentVolumeClaimVolumeSource> persistent_volume_claim;
  std::optional<ConfigMapVolumeSource> config_map;
  bool operator==(const Volume&) const = default;
};

struct Toleration {
  std::string key;
  std::string operator_;  // "operator" on the wire: "Exists" or "Equal"
  std::string value;
  std::string effect;  // "", "NoSchedule", "PreferNoSchedule", "NoExecute"
  std::optional<int64_t> toleration_seconds;
  bool operator==(const Toleration&) const = default;
};

// Restart policies.
inline constexpr std::string_view kRestartAlways = "Always";
inline constexpr std::string_view kRestartOnFailure = "OnFailure";
inline constexpr std::string_view kRestartNever = "Never";

struct PodSpec {
  std::vector<Volume> volumes;
  std::vector<Container> init_containers;
  std::vector<Container> containers;
  std::string restart_policy;
  std::optional<int64_t> termination_grace_period_seconds;
  std::optional<int64_t> active_deadline_seconds;
  std::string dns_policy;
  std::map<std::string, std::string> node_selector;
  std::string service_account_name;
  std::optional<bool> automount_service_account_token;
  std::string node_name;
  bool host_network = false;
  bool host_pid = false;
  bool host_ipc = false;
  std::vector<LocalObjectReference> image_pull_secrets;
  std::string hostname;
  std::string subdomain;
  std::string scheduler_name;
  std::vector<Toleration> tolerations;
  std::string priority_class_name;
  std::optional<int32_t> priority;
  std::optional<bool> enable_service_links;
  bool operator==(const PodSpec&) const = default;
};

// Pod phases.
inline constexpr std::string_view kPodPending = "Pending";
inline constexpr std::string_view kPodRunning = "Running";
inline constexpr std::string_view kPodSucceeded = "Succeeded";
inline constexpr std::string_view kPodFailed = "Failed";
inline constexpr std::string_view kPodUnknown = "Unknown";

struct PodCondition {
  std::string type;    // "PodScheduled", "Initialized", "ContainersReady", "Ready"
  std::string status;  // "True", "False", "Unknown"
  Time last_probe_time;
  Time last_transition_time;
  std::string reason;
  std::string message;
  bool operator==(const PodCondition&) const = default;
};

struct ContainerStateWaiting {
  std::string reason;
  std::string message;
  bool operator==(const ContainerStateWaiting&) const = default;
};

struct ContainerStateRunning {
  Time started_at;
  bool operator==(const ContainerStateRunning&) const = default;
};

struct ContainerStateTerminated {
  int32_t exit_code = 0;
  int32_t signal = 0;
  std::string reason;
  std::string message;
  Time started_at;
  Time finished_at;
  std::string container_id;
  bool operator==(const ContainerStateTerminated&) const = default;
};

// At most one member is set.
struct ContainerState {
  std::optional<ContainerStateWaiting> waiting;
  std::optional<ContainerStateRunning> running;
  std::optional<ContainerStateTerminated> terminated;
  bool operator==(const ContainerState&) const = default;
};

struct ContainerStatus {
  std::string name;
  ContainerState state;
  ContainerState last_state;
  bool ready = false;
  int32_t restart_count = 0;
  std::string image;
  std::string image_id;
  std::string container_id;
  std::optional<bool> started;
  bool operator==(const ContainerStatus&) const = default;
};

struct PodIp {
  std::string ip;
  bool operator==(const PodIp&) const = default;
};

struct PodStatus {
  std::string phase;
  std::vector<PodCondition> conditions;
  std::string message;
  std::string reason;
  std::string host_ip;
  std::string pod_ip;
  std::vector<PodIp> pod_ips;
  std::optional<Time> start_time;
  std::vector<ContainerStatus> init_container_statuses;
  std::vector<ContainerStatus> container_statuses;
  std::string qos_class;
  bool operator==(const PodStatus&) const = default;
};

// A pod's spec is shared, copy-on-write, between the pod's versions (a status
// write copies a pointer) and between the pods created from one template:
// read with `pod.spec->`, write with `pod.spec.Mutable()` (core/api/shared.h).
struct Pod : ObjectOf<Pod, Kind::kPod> {
  Shared<PodSpec> spec;
  PodStatus status;
  bool operator==(const Pod&) const = default;
};

// The `template` of a ReplicationController.
struct PodTemplateSpec {
  ObjectMeta metadata;
  Shared<PodSpec> spec;  // shared with the pods created from it
  bool operator==(const PodTemplateSpec&) const = default;
};

// ---------------------------------------------------------------------------
// Node

struct Taint {
  std::string key;
  std::string value;
  std::string effect;  // "NoSchedule", "PreferNoSchedule", "NoExecute"
  std::optional<Time> time_added;
  bool operator==(const Taint&) const = default;
};

struct NodeSpec {
  std::string pod_cidr;
  std::vector<std::string> pod_cidrs;
  std::string provider_id;
  bool unschedulable = false;
  std::vector<Taint> taints;
  bool operator==(const NodeSpec&) const = default;
};

struct NodeCondition {
  std::string type;    // "Ready", "MemoryPressure", "DiskPressure", ...
  std::string status;  // "True", "False", "Unknown"
  Time last_heartbeat_time;
  Time last_transition_time;
  std::string reason;
  std::string message;
  bool operator==(const NodeCondition&) const = default;
};

struct NodeAddress {
  std::string type;  // "InternalIP", "ExternalIP", "Hostname"
  std::string address;
  bool operator==(const NodeAddress&) const = default;
};

struct DaemonEndpoint {
  int32_t port = 0;  // "Port" on the wire (capitalised, as in v1)
  bool operator==(const DaemonEndpoint&) const = default;
};

struct NodeDaemonEndpoints {
  DaemonEndpoint kubelet_endpoint;
  bool operator==(const NodeDaemonEndpoints&) const = default;
};

struct NodeSystemInfo {
  std::string machine_id;
  std::string system_uuid;
  std::string boot_id;
  std::string kernel_version;
  std::string os_image;
  std::string container_runtime_version;
  std::string kubelet_version;
  std::string kube_proxy_version;
  std::string operating_system;
  std::string architecture;
  bool operator==(const NodeSystemInfo&) const = default;
};

struct NodeStatus {
  ResourceList capacity;
  ResourceList allocatable;
  std::string phase;
  std::vector<NodeCondition> conditions;
  std::vector<NodeAddress> addresses;
  NodeDaemonEndpoints daemon_endpoints;
  NodeSystemInfo node_info;
  bool operator==(const NodeStatus&) const = default;
};

struct Node : ObjectOf<Node, Kind::kNode> {
  NodeSpec spec;
  NodeStatus status;
  bool operator==(const Node&) const = default;
};

// ---------------------------------------------------------------------------
// ReplicationController

struct ReplicationControllerSpec {
  std::optional<int32_t> replicas;  // absent = 1
  int32_t min_ready_seconds = 0;
  std::map<std::string, std::string> selector;
  std::optional<PodTemplateSpec> template_;  // "template" on the wire
  bool operator==(const ReplicationControllerSpec&) const = default;
};

struct ReplicationControllerCondition {
  std::string type;
  std::string status;
  Time last_transition_time;
  std::string reason;
  std::string message;
  bool operator==(const ReplicationControllerCondition&) const = default;
};

struct ReplicationControllerStatus {
  int32_t replicas = 0;
  int32_t fully_labeled_replicas = 0;
  int32_t ready_replicas = 0;
  int32_t available_replicas = 0;
  int64_t observed_generation = 0;
  std::vector<ReplicationControllerCondition> conditions;
  bool operator==(const ReplicationControllerStatus&) const = default;
};

struct ReplicationController : ObjectOf<ReplicationController, Kind::kReplicationController> {
  ReplicationControllerSpec spec;
  ReplicationControllerStatus status;
  bool operator==(const ReplicationController&) const = default;
};

// ---------------------------------------------------------------------------
// Service

struct ServicePort {
  std::string name;
  std::string protocol;  // "TCP" (default), "UDP", "SCTP"
  std::string app_protocol;
  int32_t port = 0;
  IntOrString target_port;  // int 0 = unset (defaults to `port`)
  int32_t node_port = 0;
  bool operator==(const ServicePort&) const = default;
};

// Service types.
inline constexpr std::string_view kServiceClusterIp = "ClusterIP";
inline constexpr std::string_view kServiceNodePort = "NodePort";
inline constexpr std::string_view kServiceLoadBalancer = "LoadBalancer";
inline constexpr std::string_view kServiceExternalName = "ExternalName";

struct ServiceSpec {
  std::vector<ServicePort> ports;
  std::map<std::string, std::string> selector;
  std::string cluster_ip;
  std::vector<std::string> cluster_ips;
  std::string type;
  std::vector<std::string> external_ips;
  std::string session_affinity;  // "None" or "ClientIP"
  std::string load_balancer_ip;
  std::string external_name;
  std::string external_traffic_policy;  // "Cluster" or "Local"
  std::string internal_traffic_policy;
  std::vector<std::string> ip_families;
  std::optional<std::string> ip_family_policy;
  std::optional<bool> publish_not_ready_addresses;
  bool operator==(const ServiceSpec&) const = default;
};

struct LoadBalancerIngress {
  std::string ip;
  std::string hostname;
  bool operator==(const LoadBalancerIngress&) const = default;
};

struct LoadBalancerStatus {
  std::vector<LoadBalancerIngress> ingress;
  bool operator==(const LoadBalancerStatus&) const = default;
};

struct ServiceStatus {
  LoadBalancerStatus load_balancer;
  bool operator==(const ServiceStatus&) const = default;
};

struct Service : ObjectOf<Service, Kind::kService> {
  ServiceSpec spec;
  ServiceStatus status;
  bool operator==(const Service&) const = default;
};

// ---------------------------------------------------------------------------
// Endpoints

struct EndpointAddress {
  std::string ip;
  std::string hostname;
  std::optional<std::string> node_name;
  std::optional<ObjectReference> target_ref;
  bool operator==(const EndpointAddress&) const = default;
};

struct EndpointPort {
  std::string name;
  int32_t port = 0;
  std::string protocol;
  bool operator==(const EndpointPort&) const = default;
};

struct EndpointSubset {
  std::vector<EndpointAddress> addresses;
  std::vector<EndpointAddress> not_ready_addresses;
  std::vector<EndpointPort> ports;
  bool operator==(const EndpointSubset&) const = default;
};

struct Endpoints : ObjectOf<Endpoints, Kind::kEndpoints> {
  std::vector<EndpointSubset> subsets;
  bool operator==(const Endpoints&) const = default;
};

// ---------------------------------------------------------------------------
// Event (core/v1)

struct EventSource {
  std::string component;
  std::string host;
  bool operator==(const EventSource&) const = default;
};

// Event types.
inline constexpr std::string_view kEventNormal = "Normal";
inline constexpr std::string_view kEventWarning = "Warning";

struct Event : ObjectOf<Event, Kind::kEvent> {
  ObjectReference involved_object;
  std::string reason;
  std::string message;
  EventSource source;
  Time first_timestamp;
  Time last_timestamp;
  int32_t count = 0;
  std::string type;  // "Normal" or "Warning"
  Time event_time;   // MicroTime on the wire (microsecond precision)
  std::string action;
  std::string reporting_component;
  std::string reporting_instance;
  bool operator==(const Event&) const = default;
};

// ---------------------------------------------------------------------------
// Namespace

struct NamespaceSpec {
  std::vector<std::string> finalizers;
  bool operator==(const NamespaceSpec&) const = default;
};

struct NamespaceStatus {
  std::string phase;  // "Active" or "Terminating"
  bool operator==(const NamespaceStatus&) const = default;
};

struct Namespace : ObjectOf<Namespace, Kind::kNamespace> {
  NamespaceSpec spec;
  NamespaceStatus status;
  bool operator==(const Namespace&) const = default;
};

// ---------------------------------------------------------------------------

// A new, empty object of the given kind (every field unset, metadata empty).
ObjectPtr NewObject(Kind kind);
// The same, mutable: for decoders and builders that fill it before sharing.
std::unique_ptr<Object> NewMutableObject(Kind kind);

}  // namespace navarch::api
