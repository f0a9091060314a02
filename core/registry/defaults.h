#pragma once
// Defaulting, as the Kubernetes API server applies it on every write
// (create, update, patch) before validation: the values a v1 client reads
// back for fields it left unset. Registry::Admit* applies it on every path
// (in process, simulated, HTTP); the kubelet applies it to static pods it
// reads from files, which reach no API server first.
//
//   Pod / RC template  restartPolicy Always, terminationGracePeriodSeconds 30,
//                      dnsPolicy ClusterFirst, schedulerName default-scheduler,
//                      container imagePullPolicy (Always for ":latest" or no
//                      tag, else IfNotPresent), terminationMessagePath
//                      /dev/termination-log, terminationMessagePolicy File,
//                      port protocol TCP, probe timeout 1s / period 10s /
//                      thresholds 1 and 3, container requests from limits
//                      (a limit without a request sets the request)
//   Pod (create only)  status.phase Pending
//   RC                 replicas 1; selector = template labels when empty
//   Service            type ClusterIP, sessionAffinity None, port protocol
//                      TCP, targetPort = port, internalTrafficPolicy Cluster,
//                      externalTrafficPolicy Cluster for NodePort/LoadBalancer,
//                      ipFamilies [IPv4], ipFamilyPolicy SingleStack
//   Namespace          spec.finalizers [kubernetes] (create), status.phase
//                      Active, label kubernetes.io/metadata.name = name

#include "core/api/object.h"

namespace navarch::registry {

void ApplyDefaults(api::Object& obj, bool create);

}  // namespace navarch::registry
