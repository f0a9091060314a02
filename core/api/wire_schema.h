#pragma once
// The v1 wire names of every field of every API type, in v1 declaration
// order: one table per type, read by the generic encoder and decoder in
// json_codec.cpp. Not for use outside core/api.

#include <string_view>
#include <tuple>

#include "core/api/types.h"

namespace navarch::api::internal {

enum FieldFlags : uint8_t {
  kOmitEmpty = 0,
  kAlways = 1,     // encoded even when zero (no omitempty in v1)
  kMicroTime = 2,  // a Time encoded with microseconds (metav1.MicroTime)
};

template <class T, class M>
struct Field {
  std::string_view name;
  M T::*member;
  uint8_t flags;
};

template <class T, class M>
constexpr Field<T, M> F(std::string_view name, M T::*member, uint8_t flags = kOmitEmpty) {
  return {name, member, flags};
}

// Schema<T>::kFields is a tuple of Field; Schema<T>::kIgnored (optional) lists
// wire names that are accepted and dropped.
template <class T>
struct Schema;

template <class T>
concept HasSchema = requires {
  Schema<T>::kFields;
};

// ---------------------------------------------------------------------------
// metadata

template <>
struct Schema<OwnerReference> {
  using T = OwnerReference;
  static constexpr auto kFields = std::make_tuple(
      F("apiVersion", &T::api_version, kAlways), F("kind", &T::kind, kAlways),
      F("name", &T::name, kAlways), F("uid", &T::uid, kAlways), F("controller", &T::controller),
      F("blockOwnerDeletion", &T::block_owner_deletion));
};

template <>
struct Schema<ObjectMeta> {
  using T = ObjectMeta;
  static constexpr auto kFields = std::make_tuple(
      F("name", &T::name), F("generateName", &T::generate_name), F("namespace", &T::namespace_),
      F("uid", &T::uid), F("resourceVersion", &T::resource_version),
      F("generation", &T::generation), F("creationTimestamp", &T::creation_timestamp),
      F("deletionTimestamp", &T::deletion_timestamp),
      F("deletionGracePeriodSeconds", &T::deletion_grace_period_seconds), F("labels", &T::labels),
      F("annotations", &T::annotations), F("ownerReferences", &T::owner_references),
      F("finalizers", &T::finalizers));
  static constexpr std::string_view kIgnored[] = {"managedFields", "selfLink"};
};

// ---------------------------------------------------------------------------
// shared

template <>
struct Schema<ObjectReference> {
  using T = ObjectReference;
  static constexpr auto kFields =
      std::make_tuple(F("kind", &T::kind), F("namespace", &T::namespace_), F("name", &T::name),
                      F("uid", &T::uid), F("apiVersion", &T::api_version),
                      F("resourceVersion", &T::resource_version), F("fieldPath", &T::field_path));
};

template <>
struct Schema<LocalObjectReference> {
  static constexpr auto kFields = std::make_tuple(F("name", &LocalObjectReference::name));
};

// ---------------------------------------------------------------------------
// Pod

template <>
struct Schema<ObjectFieldSelector> {
  using T = ObjectFieldSelector;
  static constexpr auto kFields =
      std::make_tuple(F("apiVersion", &T::api_version), F("fieldPath", &T::field_path));
};

template <>
struct Schema<KeySelector> {
  using T = KeySelector;
  static constexpr auto kFields =
      std::make_tuple(F("name", &T::name), F("key", &T::key, kAlways), F("optional", &T::optional));
};

template <>
struct Schema<ResourceFieldSelector> {
  using T = ResourceFieldSelector;
  static constexpr auto kFields =
      std::make_tuple(F("containerName", &T::container_name), F("resource", &T::resource),
                      F("divisor", &T::divisor));
};

template <>
struct Schema<EnvVarSource> {
  using T = EnvVarSource;
  static constexpr auto kFields = std::make_tuple(
      F("fieldRef", &T::field_ref), F("resourceFieldRef", &T::resource_field_ref),
      F("configMapKeyRef", &T::config_map_key_ref), F("secretKeyRef", &T::secret_key_ref));
};

template <>
struct Schema<EnvVar> {
  using T = EnvVar;
  static constexpr auto kFields =
      std::make_tuple(F("name", &T::name), F("value", &T::value), F("valueFrom", &T::value_from));
};

template <>
struct Schema<ContainerPort> {
  using T = ContainerPort;
  static constexpr auto kFields =
      std::make_tuple(F("name", &T::name), F("hostPort", &T::host_port),
                      F("containerPort", &T::container_port, kAlways), F("protocol", &T::protocol),
                      F("hostIP", &T::host_ip));
};

template <>
struct Schema<ResourceRequirements> {
  using T = ResourceRequirements;
  static constexpr auto kFields =
      std::make_tuple(F("limits", &T::limits), F("requests", &T::requests));
};

template <>
struct Schema<VolumeMount> {
  using T = VolumeMount;
  static constexpr auto kFields =
      std::make_tuple(F("name", &T::name), F("readOnly", &T::read_only),
                      F("mountPath", &T::mount_path), F("subPath", &T::sub_path));
};

template <>
struct Schema<ExecAction> {
  static constexpr auto kFields = std::make_tuple(F("command", &ExecAction::command));
};

template <>
struct Schema<HttpHeader> {
  static constexpr auto kFields =
      std::make_tuple(F("name", &HttpHeader::name), F("value", &HttpHeader::value, kAlways));
};

template <>
struct Schema<HttpGetAction> {
  using T = HttpGetAction;
  static constexpr auto kFields =
      std::make_tuple(F("path", &T::path), F("port", &T::port, kAlways), F("host", &T::host),
                      F("scheme", &T::scheme), F("httpHeaders", &T::http_headers));
};

template <>
struct Schema<TcpSocketAction> {
  using T = TcpSocketAction;
  static constexpr auto kFields =
      std::make_tuple(F("port", &T::port, kAlways), F("host", &T::host));
};

template <>
struct Schema<Probe> {
  using T = Probe;
  static constexpr auto kFields = std::make_tuple(
      F("exec", &T::exec), F("httpGet", &T::http_get), F("tcpSocket", &T::tcp_socket),
      F("initialDelaySeconds", &T::initial_delay_seconds), F("timeoutSeconds", &T::timeout_seconds),
      F("periodSeconds", &T::period_seconds), F("successThreshold", &T::success_threshold),
      F("failureThreshold", &T::failure_threshold),
      F("terminationGracePeriodSeconds", &T::termination_grace_period_seconds));
};

template <>
struct Schema<Container> {
  using T = Container;
  static constexpr auto kFields = std::make_tuple(
      F("name", &T::name), F("image", &T::image), F("command", &T::command), F("args", &T::args),
      F("workingDir", &T::working_dir), F("ports", &T::ports), F("env", &T::env),
      F("resources", &T::resources), F("volumeMounts", &T::volume_mounts),
      F("livenessProbe", &T::liveness_probe), F("readinessProbe", &T::readiness_probe),
      F("startupProbe", &T::startup_probe),
      F("terminationMessagePath", &T::termination_message_path),
      F("terminationMessagePolicy", &T::termination_message_policy),
      F("imagePullPolicy", &T::image_pull_policy), F("stdin", &T::stdin),
      F("stdinOnce", &T::stdin_once), F("tty", &T::tty));
};

template <>
struct Schema<EmptyDirVolumeSource> {
  using T = EmptyDirVolumeSource;
  static constexpr auto kFields =
      std::make_tuple(F("medium", &T::medium), F("sizeLimit", &T::size_limit));
};

template <>
struct Schema<HostPathVolumeSource> {
  using T = HostPathVolumeSource;
  static constexpr auto kFields =
      std::make_tuple(F("path", &T::path, kAlways), F("type", &T::type));
};

template <>
struct Schema<KeyToPath> {
  using T = KeyToPath;
  static constexpr auto kFields = std::make_tuple(
      F("key", &T::key, kAlways), F("path", &T::path, kAlways), F("mode", &T::mode));
};

template <>
struct Schema<ConfigMapVolumeSource> {
  using T = ConfigMapVolumeSource;
  static constexpr auto kFields =
      std::make_tuple(F("name", &T::name), F("items", &T::items),
                      F("defaultMode", &T::default_mode), F("optional", &T::optional));
};

template <>
struct Schema<SecretVolumeSource> {
  using T = SecretVolumeSource;
  static constexpr auto kFields =
      std::make_tuple(F("secretName", &T::secret_name), F("items", &T::items),
                      F("defaultMode", &T::default_mode), F("optional", &T::optional));
};

template <>
struct Schema<PersistentVolumeClaimVolumeSource> {
  using T = PersistentVolumeClaimVolumeSource;
  static constexpr auto kFields =
      std::make_tuple(F("claimName", &T::claim_name, kAlways), F("readOnly", &T::read_only));
};

template <>
struct Schema<Volume> {
  using T = Volume;
  static constexpr auto kFields = std::make_tuple(
      F("name", &T::name, kAlways), F("hostPath", &T::host_path), F("emptyDir", &T::empty_dir),
      F("secret", &T::secret), F("persistentVolumeClaim", &T::persistent_volume_claim),
      F("configMap", &T::config_map));
};

template <>
struct Schema<Toleration> {
  using T = Toleration;
  static constexpr auto kFields =
      std::make_tuple(F("key", &T::key), F("operator", &T::operator_), F("value", &T::value),
                      F("effect", &T::effect), F("tolerationSeconds", &T::toleration_seconds));
};

template <>
struct Schema<PodSpec> {
  using T = PodSpec;
  static constexpr auto kFields = std::make_tuple(
      F("volumes", &T::volumes), F("initContainers", &T::init_containers),
      F("containers", &T::containers), F("restartPolicy", &T::restart_policy),
      F("terminationGracePeriodSeconds", &T::termination_grace_period_seconds),
      F("activeDeadlineSeconds", &T::active_deadline_seconds), F("dnsPolicy", &T::dns_policy),
      F("nodeSelector", &T::node_selector), F("serviceAccountName", &T::service_account_name),
      F("automountServiceAccountToken", &T::automount_service_account_token),
      F("nodeName", &T::node_name), F("hostNetwork", &T::host_network), F("hostPID", &T::host_pid),
      F("hostIPC", &T::host_ipc), F("imagePullSecrets", &T::image_pull_secrets),
      F("hostname", &T::hostname), F("subdomain", &T::subdomain),
      F("schedulerName", &T::scheduler_name), F("tolerations", &T::tolerations),
      F("priorityClassName", &T::priority_class_name), F("priority", &T::priority),
      F("enableServiceLinks", &T::enable_service_links));
};

template <>
struct Schema<PodCondition> {
  using T = PodCondition;
  static constexpr auto kFields = std::make_tuple(
      F("type", &T::type, kAlways), F("status", &T::status, kAlways),
      F("lastProbeTime", &T::last_probe_time), F("lastTransitionTime", &T::last_transition_time),
      F("reason", &T::reason), F("message", &T::message));
};

template <>
struct Schema<ContainerStateWaiting> {
  using T = ContainerStateWaiting;
  static constexpr auto kFields =
      std::make_tuple(F("reason", &T::reason), F("message", &T::message));
};

template <>
struct Schema<ContainerStateRunning> {
  static constexpr auto kFields =
      std::make_tuple(F("startedAt", &ContainerStateRunning::started_at));
};

template <>
struct Schema<ContainerStateTerminated> {
  using T = ContainerStateTerminated;
  static constexpr auto kFields = std::make_tuple(
      F("exitCode", &T::exit_code, kAlways), F("signal", &T::signal), F("reason", &T::reason),
      F("message", &T::message), F("startedAt", &T::started_at), F("finishedAt", &T::finished_at),
      F("containerID", &T::container_id));
};

template <>
struct Schema<ContainerState> {
  using T = ContainerState;
  static constexpr auto kFields = std::make_tuple(
      F("waiting", &T::waiting), F("running", &T::running), F("terminated", &T::terminated));
};

template <>
struct Schema<ContainerStatus> {
  using T = ContainerStatus;
  static constexpr auto kFields = std::make_tuple(
      F("name", &T::name, kAlways), F("state", &T::state), F("lastState", &T::last_state),
      F("ready", &T::ready, kAlways), F("restartCount", &T::restart_count, kAlways),
      F("image", &T::image, kAlways), F("imageID", &T::image_id, kAlways),
      F("containerID", &T::container_id), F("started", &T::started));
};

template <>
struct Schema<PodIp> {
  static constexpr auto kFields = std::make_tuple(F("ip", &PodIp::ip));
};

template <>
struct Schema<PodStatus> {
  using T = PodStatus;
  static constexpr auto kFields = std::make_tuple(
      F("phase", &T::phase), F("conditions", &T::conditions), F("message", &T::message),
      F("reason", &T::reason), F("hostIP", &T::host_ip), F("podIP", &T::pod_ip),
      F("podIPs", &T::pod_ips), F("startTime", &T::start_time),
      F("initContainerStatuses", &T::init_container_statuses),
      F("containerStatuses", &T::container_statuses), F("qosClass", &T::qos_class));
};

template <>
struct Schema<PodTemplateSpec> {
  using T = PodTemplateSpec;
  static constexpr auto kFields = std::make_tuple(F("metadata", &T::metadata), F("spec", &T::spec));
};

// ---------------------------------------------------------------------------
// Node

template <>
struct Schema<Taint> {
  using T = Taint;
  static constexpr auto kFields =
      std::make_tuple(F("key", &T::key, kAlways), F("value", &T::value),
                      F("effect", &T::effect, kAlways), F("timeAdded", &T::time_added));
};

template <>
struct Schema<NodeSpec> {
  using T = NodeSpec;
  static constexpr auto kFields = std::make_tuple(
      F("podCIDR", &T::pod_cidr), F("podCIDRs", &T::pod_cidrs), F("providerID", &T::provider_id),
      F("unschedulable", &T::unschedulable), F("taints", &T::taints));
};

template <>
struct Schema<NodeCondition> {
  using T = NodeCondition;
  static constexpr auto kFields =
      std::make_tuple(F("type", &T::type, kAlways), F("status", &T::status, kAlways),
                      F("lastHeartbeatTime", &T::last_heartbeat_time),
                      F("lastTransitionTime", &T::last_transition_time), F("reason", &T::reason),
                      F("message", &T::message));
};

template <>
struct Schema<NodeAddress> {
  using T = NodeAddress;
  static constexpr auto kFields =
      std::make_tuple(F("type", &T::type, kAlways), F("address", &T::address, kAlways));
};

template <>
struct Schema<DaemonEndpoint> {
  static constexpr auto kFields = std::make_tuple(F("Port", &DaemonEndpoint::port));
};

template <>
struct Schema<NodeDaemonEndpoints> {
  static constexpr auto kFields =
      std::make_tuple(F("kubeletEndpoint", &NodeDaemonEndpoints::kubelet_endpoint));
};

template <>
struct Schema<NodeSystemInfo> {
  using T = NodeSystemInfo;
  static constexpr auto kFields = std::make_tuple(
      F("machineID", &T::machine_id), F("systemUUID", &T::system_uuid), F("bootID", &T::boot_id),
      F("kernelVersion", &T::kernel_version), F("osImage", &T::os_image),
      F("containerRuntimeVersion", &T::container_runtime_version),
      F("kubeletVersion", &T::kubelet_version), F("kubeProxyVersion", &T::kube_proxy_version),
      F("operatingSystem", &T::operating_system), F("architecture", &T::architecture));
};

template <>
struct Schema<NodeStatus> {
  using T = NodeStatus;
  static constexpr auto kFields = std::make_tuple(
      F("capacity", &T::capacity), F("allocatable", &T::allocatable), F("phase", &T::phase),
      F("conditions", &T::conditions), F("addresses", &T::addresses),
      F("daemonEndpoints", &T::daemon_endpoints), F("nodeInfo", &T::node_info));
};

// ---------------------------------------------------------------------------
// ReplicationController

template <>
struct Schema<ReplicationControllerSpec> {
  using T = ReplicationControllerSpec;
  static constexpr auto kFields =
      std::make_tuple(F("replicas", &T::replicas), F("minReadySeconds", &T::min_ready_seconds),
                      F("selector", &T::selector), F("template", &T::template_));
};

template <>
struct Schema<ReplicationControllerCondition> {
  using T = ReplicationControllerCondition;
  static constexpr auto kFields =
      std::make_tuple(F("type", &T::type, kAlways), F("status", &T::status, kAlways),
                      F("lastTransitionTime", &T::last_transition_time), F("reason", &T::reason),
                      F("message", &T::message));
};

template <>
struct Schema<ReplicationControllerStatus> {
  using T = ReplicationControllerStatus;
  static constexpr auto kFields = std::make_tuple(
      F("replicas", &T::replicas, kAlways), F("fullyLabeledReplicas", &T::fully_labeled_replicas),
      F("readyReplicas", &T::ready_replicas), F("availableReplicas", &T::available_replicas),
      F("observedGeneration", &T::observed_generation), F("conditions", &T::conditions));
};

// ---------------------------------------------------------------------------
// Service

template <>
struct Schema<ServicePort> {
  using T = ServicePort;
  static constexpr auto kFields = std::make_tuple(
      F("name", &T::name), F("protocol", &T::protocol), F("appProtocol", &T::app_protocol),
      F("port", &T::port, kAlways), F("targetPort", &T::target_port), F("nodePort", &T::node_port));
};

template <>
struct Schema<ServiceSpec> {
  using T = ServiceSpec;
  static constexpr auto kFields = std::make_tuple(
      F("ports", &T::ports), F("selector", &T::selector), F("clusterIP", &T::cluster_ip),
      F("clusterIPs", &T::cluster_ips), F("type", &T::type), F("externalIPs", &T::external_ips),
      F("sessionAffinity", &T::session_affinity), F("loadBalancerIP", &T::load_balancer_ip),
      F("externalName", &T::external_name), F("externalTrafficPolicy", &T::external_traffic_policy),
      F("internalTrafficPolicy", &T::internal_traffic_policy), F("ipFamilies", &T::ip_families),
      F("ipFamilyPolicy", &T::ip_family_policy),
      F("publishNotReadyAddresses", &T::publish_not_ready_addresses));
};

template <>
struct Schema<LoadBalancerIngress> {
  using T = LoadBalancerIngress;
  static constexpr auto kFields = std::make_tuple(F("ip", &T::ip), F("hostname", &T::hostname));
};

template <>
struct Schema<LoadBalancerStatus> {
  static constexpr auto kFields = std::make_tuple(F("ingress", &LoadBalancerStatus::ingress));
};

template <>
struct Schema<ServiceStatus> {
  static constexpr auto kFields = std::make_tuple(F("loadBalancer", &ServiceStatus::load_balancer));
};

// ---------------------------------------------------------------------------
// Endpoints

template <>
struct Schema<EndpointAddress> {
  using T = EndpointAddress;
  static constexpr auto kFields =
      std::make_tuple(F("ip", &T::ip, kAlways), F("hostname", &T::hostname),
                      F("nodeName", &T::node_name), F("targetRef", &T::target_ref));
};

template <>
struct Schema<EndpointPort> {
  using T = EndpointPort;
  static constexpr auto kFields = std::make_tuple(F("name", &T::name), F("port", &T::port, kAlways),
                                                  F("protocol", &T::protocol));
};

template <>
struct Schema<EndpointSubset> {
  using T = EndpointSubset;
  static constexpr auto kFields =
      std::make_tuple(F("addresses", &T::addresses),
                      F("notReadyAddresses", &T::not_ready_addresses), F("ports", &T::ports));
};

// ---------------------------------------------------------------------------
// Event, Namespace

template <>
struct Schema<EventSource> {
  using T = EventSource;
  static constexpr auto kFields =
      std::make_tuple(F("component", &T::component), F("host", &T::host));
};

template <>
struct Schema<NamespaceSpec> {
  static constexpr auto kFields = std::make_tuple(F("finalizers", &NamespaceSpec::finalizers));
};

template <>
struct Schema<NamespaceStatus> {
  static constexpr auto kFields = std::make_tuple(F("phase", &NamespaceStatus::phase));
};

// ---------------------------------------------------------------------------
// Top-level kinds. `apiVersion` and `kind` are read before the rest.

inline constexpr std::string_view kTypeMetaFields[] = {"apiVersion", "kind"};

template <>
struct Schema<Pod> {
  static constexpr auto kFields = std::make_tuple(F("metadata", &Pod::metadata, kAlways),
                                                  F("spec", &Pod::spec), F("status", &Pod::status));
  static constexpr const auto& kIgnored = kTypeMetaFields;
};

template <>
struct Schema<Node> {
  static constexpr auto kFields = std::make_tuple(
      F("metadata", &Node::metadata, kAlways), F("spec", &Node::spec), F("status", &Node::status));
  static constexpr const auto& kIgnored = kTypeMetaFields;
};

template <>
struct Schema<ReplicationController> {
  using T = ReplicationController;
  static constexpr auto kFields = std::make_tuple(F("metadata", &T::metadata, kAlways),
                                                  F("spec", &T::spec), F("status", &T::status));
  static constexpr const auto& kIgnored = kTypeMetaFields;
};

template <>
struct Schema<Service> {
  static constexpr auto kFields =
      std::make_tuple(F("metadata", &Service::metadata, kAlways), F("spec", &Service::spec),
                      F("status", &Service::status));
  static constexpr const auto& kIgnored = kTypeMetaFields;
};

template <>
struct Schema<Endpoints> {
  static constexpr auto kFields = std::make_tuple(F("metadata", &Endpoints::metadata, kAlways),
                                                  F("subsets", &Endpoints::subsets));
  static constexpr const auto& kIgnored = kTypeMetaFields;
};

template <>
struct Schema<Event> {
  using T = Event;
  static constexpr auto kFields = std::make_tuple(
      F("metadata", &T::metadata, kAlways), F("involvedObject", &T::involved_object, kAlways),
      F("reason", &T::reason), F("message", &T::message), F("source", &T::source),
      F("firstTimestamp", &T::first_timestamp), F("lastTimestamp", &T::last_timestamp),
      F("count", &T::count), F("type", &T::type), F("eventTime", &T::event_time, kMicroTime),
      F("action", &T::action), F("reportingComponent", &T::reporting_component),
      F("reportingInstance", &T::reporting_instance));
  static constexpr const auto& kIgnored = kTypeMetaFields;
};

template <>
struct Schema<Namespace> {
  static constexpr auto kFields =
      std::make_tuple(F("metadata", &Namespace::metadata, kAlways), F("spec", &Namespace::spec),
                      F("status", &Namespace::status));
  static constexpr const auto& kIgnored = kTypeMetaFields;
};

}  // namespace navarch::api::internal
