#pragma once
// The built-in plugins (listed by BuiltinPlugins() in framework.h).
//
// Filters, with the reason each gives:
//   NodeReady          "node(s) were not ready"        (condition Ready is not True)
//   NodeUnschedulable  "node(s) were unschedulable"    (spec.unschedulable, unless the
//                      pod tolerates the node.kubernetes.io/unschedulable:NoSchedule taint)
//   TaintToleration    "node(s) had untolerated taint {<key>: <value>}" for the first
//                      NoSchedule/NoExecute taint the pod does not tolerate
//   NodeSelector       "node(s) didn't match node selector"
//   NodePorts          "node(s) didn't have free ports for the requested pod ports"
//   NodeResourcesFit   "Insufficient cpu", "Insufficient memory", "Too many pods" (all
//                      that apply), against allocatable minus the requests of the pods
//                      counted on the node (assumed ones included)
//
// Scores (0..100; "requested" is the node's non-zero requests plus the pod's):
//   LeastAllocated     mean over cpu, memory of (allocatable - requested) * 100 /
//                      allocatable (0 when requested exceeds allocatable)
//   MostAllocated      mean over cpu, memory of min(requested, allocatable) * 100 /
//                      allocatable
//   BalancedAllocation 100 * (1 - |cpu fraction - memory fraction| / 2), each
//                      fraction requested / allocatable capped at 1 (the standard
//                      deviation of the two fractions, as Kubernetes scores it)
//   SelectorSpread     pods of the pod's spread group on the node, normalized
//                      kReverseMaxZones (fewer is better, per node and per zone)
//   TaintToleration    PreferNoSchedule taints the pod does not tolerate, normalized
//                      kReverseMax
// Nodes with zero allocatable for a resource score 0 for it (fraction 1).

#include <memory>

#include "core/scheduler/framework.h"

namespace navarch::scheduler {

std::unique_ptr<FilterPlugin> NewNodeReadyFilter();
std::unique_ptr<FilterPlugin> NewNodeUnschedulableFilter();
std::unique_ptr<FilterPlugin> NewTaintTolerationFilter();
std::unique_ptr<FilterPlugin> NewNodeSelectorFilter();
std::unique_ptr<FilterPlugin> NewNodePortsFilter();
std::unique_ptr<FilterPlugin> NewNodeResourcesFitFilter();

std::unique_ptr<ScorePlugin> NewLeastAllocatedScore();
std::unique_ptr<ScorePlugin> NewMostAllocatedScore();
std::unique_ptr<ScorePlugin> NewBalancedAllocationScore();
std::unique_ptr<ScorePlugin> NewSelectorSpreadScore();
std::unique_ptr<ScorePlugin> NewTaintTolerationScore();

}  // namespace navarch::scheduler
