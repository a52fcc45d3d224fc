// Package kubetest starts a real Kubernetes control plane for tests: etcd
// and kube-apiserver, and on request kube-controller-manager (so that
// Deployments make ReplicaSets and Pods) and kwok (which plays the kubelet of
// fake nodes). The binaries are built from Go modules by tools/k8s/build.sh
// into a cache directory; see BinDir.
//
// There is no scheduler: tests place pods by setting spec.nodeName (in a pod
// template, or on the pod), or leave them pending.
package kubetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Version is the Kubernetes version tools/k8s builds.
const Version = "v1.37.2"

// BinDir is where tools/k8s/build.sh puts the binaries: $RUNWATCH_K8S_BIN,
// or <user cache>/runwatch/k8s-<version>/bin. It returns an error naming the
// build command when a binary is missing.
func BinDir() (string, error) {
	dir := os.Getenv("RUNWATCH_K8S_BIN")
	if dir == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("locate the test control plane: %w", err)
			}
			cache = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(cache, "runwatch", "k8s-"+Version, "bin")
	}
	for _, b := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kwok"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("test control plane binary %s missing in %s: build them with tools/k8s/build.sh (or ./task k8s:bin)", b, dir)
		}
	}
	return dir, nil
}

// Options choose what runs beside etcd and the API server.
type Options struct {
	// ControllerManager starts kube-controller-manager (Deployments,
	// ReplicaSets, Jobs, CronJobs, StatefulSets, DaemonSets, garbage
	// collection). Its node lifecycle controller is off, so nodes nobody
	// heartbeats stay as the test wrote them.
	ControllerManager bool
	// Kwok starts kwok, managing nodes annotated kwok.x-k8s.io/node=fake:
	// they become Ready, and their pods Running with the image id and
	// container id described in KwokImageIDAnnotation.
	Kwok bool
	// Logf receives progress lines (e.g. testing.T.Logf); nil for none.
	Logf func(format string, args ...any)
}

// KwokNodeAnnotation marks a node kwok manages.
const KwokNodeAnnotation = "kwok.x-k8s.io/node"

// KwokImageIDAnnotation is the pod annotation prefix kwok's pod stage reads
// the image id of each container from: "runwatch.test/image-id.<container>".
// A real kubelet learns it from the runtime; tests choose it. Containers
// without the annotation get no image id.
const KwokImageIDAnnotation = "runwatch.test/image-id."

//go:embed kwok-stages.yaml
var kwokStages []byte

// Cluster is a running control plane.
type Cluster struct {
	// Dir holds the data, certificates, kubeconfigs and component logs.
	Dir string
	// URL is the API server's https URL.
	URL string
	// AdminToken authenticates as a member of system:masters.
	AdminToken string

	logf  func(string, ...any)
	procs []*process
}

type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// Start starts a control plane in dir (created if missing; the caller
// removes it), and returns when the API server is ready. On error,
// whatever started is stopped.
func Start(ctx context.Context, dir string, opts Options) (c *Cluster, err error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("control plane directory: %w", err)
	}
	started := &Cluster{Dir: dir, logf: opts.Logf, AdminToken: randomHex(16)}
	c = started
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	defer func() {
		if err != nil {
			started.Stop()
		}
	}()
	start := time.Now()

	// etcd
	etcdClient, etcdPeer, apiPort := freePort(), freePort(), freePort()
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPeer)
	if err := c.run("etcd", filepath.Join(bin, "etcd"),
		"--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "default="+peerURL,
		"--unsafe-no-fsync", "--log-level", "warn",
	); err != nil {
		return nil, err
	}
	if err := c.waitHTTP(ctx, "etcd", etcdURL+"/health", ""); err != nil {
		return nil, err
	}

	// kube-apiserver, with static tokens for the test's admin and the
	// components, and a service account signing key.
	saKey, saPub, err := writeKeyPair(dir)
	if err != nil {
		return nil, err
	}
	kcmToken, kwokToken := randomHex(16), randomHex(16)
	tokens := fmt.Sprintf("%s,admin,admin,\"system:masters\"\n%s,kube-controller-manager,kcm,\"system:masters\"\n%s,kwok,kwok,\"system:masters\"\n",
		c.AdminToken, kcmToken, kwokToken)
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(tokens), 0o600); err != nil {
		return nil, fmt.Errorf("write token file: %w", err)
	}
	c.URL = fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	if err := c.run("kube-apiserver", filepath.Join(bin, "kube-apiserver"),
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", fmt.Sprintf("--secure-port=%d", apiPort),
		// 1.37 refuses a loopback advertise address with the default
		// endpoint reconciler; tests need no kubernetes Service endpoints.
		"--endpoint-reconciler-type", "none",
		"--cert-dir", filepath.Join(dir, "apiserver"),
		"--token-auth-file", filepath.Join(dir, "tokens.csv"),
		"--authorization-mode", "RBAC",
		"--service-account-key-file", saPub,
		"--service-account-signing-key-file", saKey,
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range", "10.96.0.0/16",
		// Nothing creates the default ServiceAccount of a new namespace
		// before a pod arrives in it, unless the controller manager runs.
		"--disable-admission-plugins", "ServiceAccount",
		"--allow-privileged=true",
	); err != nil {
		return nil, err
	}
	if err := c.waitHTTP(ctx, "kube-apiserver", c.URL+"/readyz", c.AdminToken); err != nil {
		return nil, err
	}
	c.logf("kube-apiserver %s ready at %s after %s", Version, c.URL, time.Since(start).Round(time.Millisecond))

	if opts.ControllerManager {
		kubeconfig := filepath.Join(dir, "kcm.kubeconfig")
		if err := c.WriteKubeconfig(kubeconfig, kcmToken); err != nil {
			return nil, err
		}
		if err := c.run("kube-controller-manager", filepath.Join(bin, "kube-controller-manager"),
			"--kubeconfig", kubeconfig, "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
			"--leader-elect=false", "--bind-address", "127.0.0.1", "--secure-port=0",
			"--service-account-private-key-file", saKey,
			"--controllers", "*,-node-lifecycle-controller,-node-ipam-controller",
			// Let bursts of pods through quickly: the defaults (20 qps) make
			// thousands of pods take minutes.
			"--kube-api-qps=500", "--kube-api-burst=1000", "--concurrent-replicaset-syncs=10", "--concurrent-deployment-syncs=10",
		); err != nil {
			return nil, err
		}
	}
	if opts.Kwok {
		kubeconfig := filepath.Join(dir, "kwok.kubeconfig")
		if err := c.WriteKubeconfig(kubeconfig, kwokToken); err != nil {
			return nil, err
		}
		stages := filepath.Join(dir, "kwok-stages.yaml")
		if err := os.WriteFile(stages, kwokStages, 0o600); err != nil {
			return nil, fmt.Errorf("write kwok stages: %w", err)
		}
		// kwok reads ~/.kwok/kwok.yaml unless told otherwise; give it ours
		// only, so a developer's own kwok setup cannot change the tests.
		if err := c.run("kwok", filepath.Join(bin, "kwok"),
			"--kubeconfig", kubeconfig, "--config", stages,
			"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector", KwokNodeAnnotation+"=fake",
			"--server-address", fmt.Sprintf("127.0.0.1:%d", freePort()),
			"--node-lease-duration-seconds=0",
		); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// RESTConfig is a client configuration for the admin; the caller may change
// its copy (e.g. QPS).
func (c *Cluster) RESTConfig() *rest.Config { return c.RESTConfigFor(c.AdminToken) }

// RESTConfigFor is a client configuration authenticating with token.
func (c *Cluster) RESTConfigFor(token string) *rest.Config {
	return &rest.Config{
		Host:            c.URL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		QPS:             200,
		Burst:           400,
	}
}

// Client is an admin clientset.
func (c *Cluster) Client() *kubernetes.Clientset {
	return kubernetes.NewForConfigOrDie(c.RESTConfig())
}

// WriteKubeconfig writes a kubeconfig that authenticates with token.
func (c *Cluster) WriteKubeconfig(path, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["test"] = &clientcmdapi.Cluster{Server: c.URL, InsecureSkipTLSVerify: true}
	cfg.AuthInfos["test"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test"}
	cfg.CurrentContext = "test"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}

// ServiceAccountToken issues a token for a ServiceAccount, so a test can act
// with exactly the permissions RBAC grants it.
func (c *Cluster) ServiceAccountToken(ctx context.Context, namespace, name string) (string, error) {
	tr, err := c.Client().CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token for serviceaccount %s/%s: %w", namespace, name, err)
	}
	return tr.Status.Token, nil
}

// Stop stops every component, newest first, and waits for them.
func (c *Cluster) Stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	c.procs = nil
}

// Running says which components have exited, as an error naming them and
// the end of their logs; nil when all run.
func (c *Cluster) Running() error {
	var errs []error
	for _, p := range c.procs {
		select {
		case <-p.done:
			errs = append(errs, fmt.Errorf("%s exited (%v): %s", p.name, p.err, tail(p.log)))
		default:
		}
	}
	return errors.Join(errs...)
}

func (c *Cluster) run(name, path string, args ...string) error {
	logPath := filepath.Join(c.Dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The components die with the test process, even when it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	return nil
}

// waitHTTP polls url until it answers 200, a component exits, or ctx ends.
func (c *Cluster) waitHTTP(ctx context.Context, name, url, token string) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := c.Running(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after 60s: %s", name, tail(filepath.Join(c.Dir, name+".log")))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

var portMu sync.Mutex

// freePort finds a port nothing listens on. Another process could take it
// before the component binds it; on a test machine that is rare, and the
// component then fails to start with a clear log.
func freePort() int {
	portMu.Lock()
	defer portMu.Unlock()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("no free port: %v", err))
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeKeyPair(dir string) (key, pub string, err error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", fmt.Errorf("service account key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return "", "", fmt.Errorf("service account key: %w", err)
	}
	key, pub = filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600); err != nil {
		return "", "", fmt.Errorf("write service account key: %w", err)
	}
	if err := os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600); err != nil {
		return "", "", fmt.Errorf("write service account key: %w", err)
	}
	return key, pub, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tail returns the last lines of a log file, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	b = bytes.TrimSpace(b)
	lines := strings.Split(string(b), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "\n" + strings.Join(lines, "\n")
}
