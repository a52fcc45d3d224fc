package kubetest

import (
	"maps"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FakeNode is a node kwok manages (it makes it Ready).
func FakeNode(name string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{KwokNodeAnnotation: "fake"},
			Labels:      map[string]string{"kubernetes.io/hostname": name, "type": "kwok"},
		},
		Spec: corev1.NodeSpec{
			ProviderID: "kwok://" + name,
			// Keep real workloads off it, as kwok's docs advise; test pods
			// are placed by nodeName, which bypasses taints.
			Taints: []corev1.Taint{{Key: "kwok.x-k8s.io/node", Value: "fake", Effect: corev1.TaintEffectNoSchedule}},
		},
	}
}

// Deployment makes a Deployment whose pods are placed on node (kwok then
// runs them) with one container per entry of imageIDs: container name →
// the image id kwok reports for it. Each container's spec image is its
// image id's repository with the tag "1.0".
func Deployment(namespace, name string, replicas int32, node string, imageIDs map[string]string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	ann := map[string]string{}
	names := make([]string, 0, len(imageIDs))
	for c := range imageIDs {
		names = append(names, c)
	}
	sort.Strings(names)
	var containers []corev1.Container
	for _, c := range names {
		ann[KwokImageIDAnnotation+c] = imageIDs[c]
		containers = append(containers, corev1.Container{Name: c, Image: repositoryOf(imageIDs[c]) + ":1.0"})
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: maps.Clone(labels)},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(labels), Annotations: ann},
				Spec: corev1.PodSpec{
					NodeName:                      node,
					Containers:                    containers,
					TerminationGracePeriodSeconds: new(int64),
					Tolerations:                   []corev1.Toleration{{Key: "kwok.x-k8s.io/node", Operator: corev1.TolerationOpExists}},
				},
			},
		},
	}
}

// repositoryOf strips "@digest" from an image id written as repo@digest.
func repositoryOf(imageID string) string {
	for i := len(imageID) - 1; i >= 0; i-- {
		if imageID[i] == '@' {
			return imageID[:i]
		}
	}
	return "example.com/unknown"
}
