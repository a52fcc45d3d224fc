package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

type cli struct {
	in        io.Reader
	out, errw io.Writer
	server    string
	token     string
	output    string

	inventory runwatchv1connect.InventoryServiceClient
	admin     runwatchv1connect.AdminServiceClient
	auth      runwatchv1connect.AuthServiceClient
}

type command struct {
	name, args, help string
	run              func(c *cli, ctx context.Context, args []string) error
}

var commands = []command{
	{"token create", "--cluster NAME [--description TEXT] [--ttl DURATION]", "create a registration token for a cluster's agents (shown once)", (*cli).tokenCreate},
	{"token list", "[--cluster NAME]", "list registration tokens", (*cli).tokenList},
	{"token revoke", "ID", "revoke a registration token at once", (*cli).tokenRevoke},
	{"login", "[--username NAME] [--ttl DURATION]", "sign in and keep an API token in the user's config", (*cli).login},
	{"whoami", "", "who the token in use belongs to", (*cli).whoami},
	{"users list", "", "list user accounts (admin)", (*cli).usersList},
	{"users create", "NAME [--role viewer|admin]", "create an account; the password is read like a login's (admin)", (*cli).usersCreate},
	{"users update", "NAME|ID [--role R] [--disable|--enable] [--reset-password]", "change an account (admin)", (*cli).usersUpdate},
	{"users delete", "NAME|ID", "delete an account (admin)", (*cli).usersDelete},
	{"api-token create", "--name NAME [--role R] [--ttl DURATION]", "make an API token for scripts (shown once)", (*cli).apiTokenCreate},
	{"api-token list", "", "list your API tokens (an admin: all)", (*cli).apiTokenList},
	{"api-token revoke", "ID", "revoke an API token", (*cli).apiTokenRevoke},
	{"audit", "[--text T] [--limit N]", "who changed what (admin)", (*cli).audit},
	{"license show", "", "the licence, nodes in operation and restrictions", (*cli).licenseShow},
	{"license apply", "FILE|-", "apply a signed licence (admin)", (*cli).licenseApply},
	{"license keygen", "[--private-key FILE]", "issuer: make a licence signing key pair", (*cli).licenseKeygen},
	{"license issue", "--organization O --nodes N --expires YYYY-MM-DD [--controller-only]", "issuer: sign a licence", (*cli).licenseIssue},
	{"overview", "[filters]", "counts of everything, with filters", (*cli).overview},
	{"clusters", "[filters]", "list clusters with their controller and node counts", (*cli).clusters},
	{"nodes", "[filters]", "list nodes with their sensor status", (*cli).nodes},
	{"workloads", "[filters]", "list workloads", (*cli).workloads},
	{"containers", "[filters]", "list containers", (*cli).containers},
	{"images", "[filters]", "list images", (*cli).images},
	{"image", "DIGEST [--window W]", "show an image and what runs it", (*cli).image},
	{"processes", "[filters] [--sha256 HEX] [--drift]", "list process executions", (*cli).processes},
	{"files", "[filters] [--sha256 HEX] [--kind KIND] [--purl PREFIX]", "list loaded files", (*cli).files},
}

func (c *cli) usage() {
	fmt.Fprintf(c.errw, `runwatchctl talks to a Runwatch platform.

Usage: runwatchctl [--server URL] [--token TOKEN] [-o table|json] COMMAND [flags]

Commands:
`)
	for _, cmd := range commands {
		fmt.Fprintf(c.errw, "  %-16s %-62s %s\n", cmd.name, cmd.args, cmd.help)
	}
	fmt.Fprintf(c.errw, `
Filters (list commands): --cluster, --namespace, --workload, --image, --node,
  --window now|1h|24h|3d|7d|10d, --text, --sort ORDER, --limit N, --page-token T, --all

The server is --server, RUNWATCH_SERVER, the server of 'runwatchctl login', or
http://127.0.0.1:8080. The token is --token, RUNWATCH_API_TOKEN,
RUNWATCH_ADMIN_TOKEN, the token 'runwatchctl login' saved, or else the
admin-token file a local platform keeps in ./runwatch-data (RUNWATCH_DATA_DIR).
Passwords are read from the terminal, or RUNWATCH_PASSWORD, or one line of stdin.
`)
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	global := flag.NewFlagSet("runwatchctl", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	defaultServer := "http://127.0.0.1:8080"
	if cfg, ok := loadConfig(); ok && cfg.Server != "" {
		defaultServer = cfg.Server
	}
	global.StringVar(&c.server, "server", envOr("RUNWATCH_SERVER", defaultServer), "platform URL")
	global.StringVar(&c.token, "token", "", "API token")
	global.StringVar(&c.output, "o", "table", "output: table or json")
	if err := global.Parse(args); err != nil {
		c.usage()
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	rest := global.Args()
	if len(rest) == 0 || rest[0] == "help" {
		c.usage()
		return nil
	}
	if c.output != "table" && c.output != "json" {
		return fmt.Errorf("-o must be table or json, not %q", c.output)
	}
	for _, cmd := range commands {
		words := strings.Fields(cmd.name)
		if len(rest) >= len(words) && slicesEqual(rest[:len(words)], words) {
			c.connect()
			return cmd.run(c, ctx, rest[len(words):])
		}
	}
	c.usage()
	return fmt.Errorf("unknown command %q", strings.Join(rest, " "))
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// resolveToken finds the token: the flag, the environment, or a local
// platform's admin-token file.
func (c *cli) resolveToken() string {
	if c.token != "" {
		return c.token
	}
	for _, name := range []string{"RUNWATCH_API_TOKEN", "RUNWATCH_ADMIN_TOKEN"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	if cfg, ok := loadConfig(); ok && (cfg.Server == "" || cfg.Server == c.server) {
		return cfg.Token
	}
	b, err := os.ReadFile(filepath.Join(envOr("RUNWATCH_DATA_DIR", "runwatch-data"), "admin-token"))
	if err == nil {
		return strings.TrimSpace(string(b))
	}
	return ""
}

func (c *cli) connect() {
	token := c.resolveToken()
	auth := connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if token != "" {
				req.Header().Set("Authorization", "Bearer "+token)
			}
			req.Header().Set("User-Agent", "runwatchctl")
			return next(ctx, req)
		}
	}))
	hc := &http.Client{Timeout: 60 * time.Second}
	c.inventory = runwatchv1connect.NewInventoryServiceClient(hc, c.server, auth)
	c.admin = runwatchv1connect.NewAdminServiceClient(hc, c.server, auth)
	c.auth = runwatchv1connect.NewAuthServiceClient(hc, c.server, auth)
}

// listFlags are the filters and paging every list command takes.
type listFlags struct {
	f      v1.Filter
	window string
	limit  int
	token  string
	all    bool
	sort   string
}

func (l *listFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&l.f.Cluster, "cluster", "", "cluster id or name")
	fs.StringVar(&l.f.Namespace, "namespace", "", "namespace")
	fs.StringVar(&l.f.Workload, "workload", "", "workload uid or name")
	fs.StringVar(&l.f.Image, "image", "", "image digest or reference")
	fs.StringVar(&l.f.Node, "node", "", "node name")
	fs.StringVar(&l.f.Text, "text", "", "case-insensitive text to find")
	fs.StringVar(&l.window, "window", "", "now, 1h, 24h, 3d, 7d or 10d")
	fs.IntVar(&l.limit, "limit", 50, "rows per page (at most 1000)")
	fs.StringVar(&l.token, "page-token", "", "page token from a previous page")
	fs.BoolVar(&l.all, "all", false, "follow every page")
	fs.StringVar(&l.sort, "sort", "", "order of the list (the API's order_by, e.g. -last_seen, name, path)")
}

var windowNames = map[string]v1.TimeWindow{
	"": v1.TimeWindow_TIME_WINDOW_UNSPECIFIED, "now": v1.TimeWindow_TIME_WINDOW_NOW, "1h": v1.TimeWindow_TIME_WINDOW_1H,
	"24h": v1.TimeWindow_TIME_WINDOW_24H, "3d": v1.TimeWindow_TIME_WINDOW_3D, "7d": v1.TimeWindow_TIME_WINDOW_7D, "10d": v1.TimeWindow_TIME_WINDOW_10D,
}

func parseWindow(s string) (v1.TimeWindow, error) {
	w, ok := windowNames[s]
	if !ok {
		return 0, fmt.Errorf("--window must be one of now, 1h, 24h, 3d, 7d, 10d; not %q", s)
	}
	return w, nil
}

func (l *listFlags) filter() (*v1.Filter, error) {
	w, err := parseWindow(l.window)
	if err != nil {
		return nil, err
	}
	f := proto.Clone(&l.f).(*v1.Filter)
	f.Window = w
	return f, nil
}

// parse parses a subcommand's flags; positional arguments may come before
// or after them.
func parse(name string, fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// pages runs a list call page by page (one page unless --all) and prints
// the rows.
func pages[Res proto.Message](c *cli, ctx context.Context, l *listFlags, call func(*v1.Page) (Res, string, error), rows func(Res) [][]string, header []string) error {
	var all [][]string
	var responses []Res
	page := &v1.Page{Size: int32(l.limit), Token: l.token}
	next := ""
	for {
		res, tok, err := call(page)
		if err != nil {
			return err
		}
		responses = append(responses, res)
		all = append(all, rows(res)...)
		next = tok
		if !l.all || tok == "" {
			break
		}
		page = &v1.Page{Size: int32(l.limit), Token: tok}
	}
	if c.output == "json" {
		for _, r := range responses {
			if err := c.printJSON(r); err != nil {
				return err
			}
		}
		return nil
	}
	c.table(header, all)
	if next != "" {
		fmt.Fprintf(c.errw, "more: --page-token %s (or --all)\n", next)
	}
	return nil
}

func (c *cli) printJSON(m proto.Message) error {
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.out, string(b))
	return err
}

func (c *cli) tokenCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	cluster := fs.String("cluster", "", "cluster name (created on first use)")
	desc := fs.String("description", "", "what the token is for")
	ttl := fs.Duration("ttl", 0, "validity (default 8760h)")
	if _, err := parse("token create", fs, args); err != nil {
		return err
	}
	if *cluster == "" {
		return errors.New("token create: --cluster is required")
	}
	req := &v1.CreateRegistrationTokenRequest{ClusterName: *cluster, Description: *desc}
	if *ttl > 0 {
		req.Ttl = durationpb.New(*ttl)
	}
	res, err := c.admin.CreateRegistrationToken(ctx, connect.NewRequest(req))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(res.Msg)
	}
	t := res.Msg.GetRegistrationToken()
	fmt.Fprintf(c.out, "%s\n", res.Msg.GetToken())
	fmt.Fprintf(c.errw, "registration token %s for cluster %s, expires %s; it is shown only now.\n", t.GetId(), t.GetClusterName(), when(t.GetExpiresAt().AsTime()))
	return nil
}

func (c *cli) tokenList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("token list", flag.ContinueOnError)
	cluster := fs.String("cluster", "", "cluster id or name")
	if _, err := parse("token list", fs, args); err != nil {
		return err
	}
	res, err := c.admin.ListRegistrationTokens(ctx, connect.NewRequest(&v1.ListRegistrationTokensRequest{Cluster: *cluster}))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(res.Msg)
	}
	var rows [][]string
	for _, t := range res.Msg.GetRegistrationTokens() {
		rows = append(rows, []string{t.GetId(), t.GetClusterName(), short(t.GetState().String(), "REGISTRATION_TOKEN_STATE_"),
			when(t.GetCreatedAt().AsTime()), when(t.GetExpiresAt().AsTime()), whenOpt(t.GetLastUsedAt().AsTime(), t.GetLastUsedAt() != nil), t.GetDescription()})
	}
	c.table([]string{"ID", "CLUSTER", "STATE", "CREATED", "EXPIRES", "LAST USED", "DESCRIPTION"}, rows)
	return nil
}

func (c *cli) tokenRevoke(ctx context.Context, args []string) error {
	pos, err := parse("token revoke", flag.NewFlagSet("token revoke", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("token revoke: give one token id")
	}
	res, err := c.admin.RevokeRegistrationToken(ctx, connect.NewRequest(&v1.RevokeRegistrationTokenRequest{Id: pos[0]}))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(res.Msg)
	}
	fmt.Fprintf(c.out, "revoked %s (cluster %s)\n", res.Msg.GetRegistrationToken().GetId(), res.Msg.GetRegistrationToken().GetClusterName())
	return nil
}

func (c *cli) overview(ctx context.Context, args []string) error {
	var l listFlags
	fs := flag.NewFlagSet("overview", flag.ContinueOnError)
	l.bind(fs)
	if _, err := parse("overview", fs, args); err != nil {
		return err
	}
	f, err := l.filter()
	if err != nil {
		return err
	}
	res, err := c.inventory.GetOverview(ctx, connect.NewRequest(&v1.GetOverviewRequest{Filter: f}))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(res.Msg)
	}
	o := res.Msg
	n := o.GetNodes()
	c.table([]string{"WHAT", "COUNT"}, [][]string{
		{"clusters", num(o.GetClusters())},
		{"nodes", fmt.Sprintf("%d (sensor running %d, degraded %d, failed %d, disabled %d, restricted %d, none %d)",
			n.GetTotal(), n.GetRunning(), n.GetDegraded(), n.GetFailed(), n.GetDisabled(), n.GetRestricted(), n.GetNotInstalled())},
		{"workloads", num(o.GetWorkloads())}, {"images", num(o.GetImages())}, {"containers", num(o.GetContainers())},
		{"processes", num(o.GetProcesses())}, {"loaded files", num(o.GetLoadedFiles())}, {"drifted executables", num(o.GetDriftedExecutables())},
	})
	return nil
}

func listCommand[Res proto.Message](c *cli, ctx context.Context, name string, args []string, extra func(*flag.FlagSet),
	call func(*v1.Filter, *v1.Page, string) (Res, string, error), rows func(Res) [][]string, header []string) error {
	var l listFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	l.bind(fs)
	if extra != nil {
		extra(fs)
	}
	if _, err := parse(name, fs, args); err != nil {
		return err
	}
	f, err := l.filter()
	if err != nil {
		return err
	}
	return pages(c, ctx, &l, func(p *v1.Page) (Res, string, error) { return call(f, p, l.sort) }, rows, header)
}

func (c *cli) clusters(ctx context.Context, args []string) error {
	return listCommand(c, ctx, "clusters", args, nil, func(f *v1.Filter, p *v1.Page, order string) (*v1.ListClustersResponse, string, error) {
		r, err := c.inventory.ListClusters(ctx, connect.NewRequest(&v1.ListClustersRequest{Filter: f, Page: p, OrderBy: order}))
		if err != nil {
			return nil, "", err
		}
		return r.Msg, r.Msg.GetNextPageToken(), nil
	}, func(r *v1.ListClustersResponse) (rows [][]string) {
		for _, cl := range r.GetClusters() {
			n := cl.GetNodes()
			rows = append(rows, []string{cl.GetName(), cl.GetId(), cl.GetKubernetesVersion(), short(cl.GetController().GetStatus().String(), "CONTROLLER_STATUS_"),
				whenOpt(cl.GetController().GetLastReport().AsTime(), cl.GetController().GetLastReport() != nil),
				fmt.Sprintf("%d/%d", n.GetRunning()+n.GetDegraded(), n.GetTotal()), num(cl.GetWorkloads())})
		}
		return rows
	}, []string{"NAME", "ID", "KUBERNETES", "CONTROLLER", "LAST REPORT", "SENSORS", "WORKLOADS"})
}

func (c *cli) nodes(ctx context.Context, args []string) error {
	return listCommand(c, ctx, "nodes", args, nil, func(f *v1.Filter, p *v1.Page, order string) (*v1.ListNodesResponse, string, error) {
		r, err := c.inventory.ListNodes(ctx, connect.NewRequest(&v1.ListNodesRequest{Filter: f, Page: p, OrderBy: order}))
		if err != nil {
			return nil, "", err
		}
		return r.Msg, r.Msg.GetNextPageToken(), nil
	}, func(r *v1.ListNodesResponse) (rows [][]string) {
		for _, n := range r.GetNodes() {
			s := n.GetSensor()
			rows = append(rows, []string{n.GetClusterName(), n.GetName(), n.GetKernelVersion(), short(s.GetStatus().String(), "SENSOR_STATUS_"),
				short(s.GetHookMode().String(), "HOOK_MODE_"), num(n.GetPods()), num(int64(s.GetDrops().GetRingBuffer() + s.GetDrops().GetSpoolFull())),
				whenOpt(s.GetLastHeartbeat().AsTime(), s.GetLastHeartbeat() != nil)})
		}
		return rows
	}, []string{"CLUSTER", "NODE", "KERNEL", "SENSOR", "HOOKS", "PODS", "DROPS", "LAST HEARTBEAT"})
}

func (c *cli) workloads(ctx context.Context, args []string) error {
	return listCommand(c, ctx, "workloads", args, nil, func(f *v1.Filter, p *v1.Page, order string) (*v1.ListWorkloadsResponse, string, error) {
		r, err := c.inventory.ListWorkloads(ctx, connect.NewRequest(&v1.ListWorkloadsRequest{Filter: f, Page: p, OrderBy: order}))
		if err != nil {
			return nil, "", err
		}
		return r.Msg, r.Msg.GetNextPageToken(), nil
	}, func(r *v1.ListWorkloadsResponse) (rows [][]string) {
		for _, w := range r.GetWorkloads() {
			status := "running"
			if w.GetGoneAt() != nil {
				status = "gone " + when(w.GetGoneAt().AsTime())
			}
			rows = append(rows, []string{w.GetClusterName(), w.GetNamespace(), w.GetKind() + "/" + w.GetName(), num(w.GetPods()),
				num(w.GetContainers()), strings.Join(shortDigests(w.GetImages()), ","), num(w.GetProcesses()), status})
		}
		return rows
	}, []string{"CLUSTER", "NAMESPACE", "WORKLOAD", "PODS", "CONTAINERS", "IMAGES", "PROCESSES", "STATUS"})
}

func (c *cli) containers(ctx context.Context, args []string) error {
	return listCommand(c, ctx, "containers", args, nil, func(f *v1.Filter, p *v1.Page, order string) (*v1.ListContainersResponse, string, error) {
		r, err := c.inventory.ListContainers(ctx, connect.NewRequest(&v1.ListContainersRequest{Filter: f, Page: p, OrderBy: order}))
		if err != nil {
			return nil, "", err
		}
		return r.Msg, r.Msg.GetNextPageToken(), nil
	}, func(r *v1.ListContainersResponse) (rows [][]string) {
		for _, k := range r.GetContainers() {
			rows = append(rows, []string{k.GetClusterName(), k.GetNamespace(), k.GetPodName(), k.GetName(), trunc(k.GetContainerId(), 12),
				k.GetImage(), shortDigest(k.GetImageDigest()), short(k.GetState().String(), "CONTAINER_STATE_"), k.GetNodeName()})
		}
		return rows
	}, []string{"CLUSTER", "NAMESPACE", "POD", "CONTAINER", "ID", "IMAGE", "DIGEST", "STATE", "NODE"})
}

func (c *cli) images(ctx context.Context, args []string) error {
	return listCommand(c, ctx, "images", args, nil, func(f *v1.Filter, p *v1.Page, order string) (*v1.ListImagesResponse, string, error) {
		r, err := c.inventory.ListImages(ctx, connect.NewRequest(&v1.ListImagesRequest{Filter: f, Page: p, OrderBy: order}))
		if err != nil {
			return nil, "", err
		}
		return r.Msg, r.Msg.GetNextPageToken(), nil
	}, func(r *v1.ListImagesResponse) (rows [][]string) {
		for _, i := range r.GetImages() {
			rows = append(rows, []string{i.GetRepository(), i.GetDigest(), strings.Join(i.GetReferences(), ","),
				fmt.Sprintf("%d/%d", i.GetRunningContainers(), i.GetContainers()), num(i.GetWorkloads()), num(i.GetProcesses()), num(i.GetLoadedFiles())})
		}
		return rows
	}, []string{"REPOSITORY", "DIGEST", "REFERENCES", "RUNNING", "WORKLOADS", "PROCESSES", "FILES"})
}

func (c *cli) image(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	win := fs.String("window", "", "now, 1h, 24h, 3d, 7d or 10d")
	pos, err := parse("image", fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("image: give one digest (sha256:...)")
	}
	w, err := parseWindow(*win)
	if err != nil {
		return err
	}
	res, err := c.inventory.GetImage(ctx, connect.NewRequest(&v1.GetImageRequest{Digest: pos[0], Window: w}))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(res.Msg)
	}
	img := res.Msg.GetImage()
	fmt.Fprintf(c.out, "Image %s\n  repository %s\n  references %s\n  containers %d (%d running), workloads %d, clusters %d\n\n",
		img.GetDigest(), img.GetRepository(), strings.Join(img.GetReferences(), ", "), img.GetContainers(), img.GetRunningContainers(), img.GetWorkloads(), img.GetClusters())
	var rows [][]string
	for _, w := range res.Msg.GetWorkloads() {
		rows = append(rows, []string{w.GetClusterName(), w.GetNamespace(), w.GetKind() + "/" + w.GetName(), num(w.GetPods())})
	}
	c.table([]string{"CLUSTER", "NAMESPACE", "WORKLOAD", "PODS"}, rows)
	fmt.Fprintln(c.out)
	rows = nil
	for _, p := range res.Msg.GetProcesses() {
		rows = append(rows, []string{p.GetExecutablePath(), trunc(p.GetSha256(), 12), num(int64(p.GetCount())), when(p.GetLastSeen().AsTime()), drift(p.GetDrift())})
	}
	c.table([]string{"EXECUTABLE", "SHA256", "COUNT", "LAST SEEN", "DRIFT"}, rows)
	fmt.Fprintln(c.out)
	rows = nil
	for _, f := range res.Msg.GetLoadedFiles() {
		rows = append(rows, []string{f.GetPath(), short(f.GetKind().String(), "FILE_KIND_"), strings.Join(f.GetPackagePurls(), ","), num(int64(f.GetCount()))})
	}
	c.table([]string{"LOADED FILE", "KIND", "PACKAGES", "COUNT"}, rows)
	if res.Msg.GetTruncated() {
		fmt.Fprintf(c.errw, "lists show their first 100 rows: use processes/files --image %s for all\n", img.GetDigest())
	}
	return nil
}

func (c *cli) processes(ctx context.Context, args []string) error {
	var sha string
	var driftOnly bool
	return listCommand(c, ctx, "processes", args, func(fs *flag.FlagSet) {
		fs.StringVar(&sha, "sha256", "", "exact sha256 of the executable")
		fs.BoolVar(&driftOnly, "drift", false, "only executables not in their image")
	}, func(f *v1.Filter, p *v1.Page, order string) (*v1.ListProcessesResponse, string, error) {
		r, err := c.inventory.ListProcesses(ctx, connect.NewRequest(&v1.ListProcessesRequest{Filter: f, Page: p, Sha256: sha, DriftOnly: driftOnly, OrderBy: order}))
		if err != nil {
			return nil, "", err
		}
		return r.Msg, r.Msg.GetNextPageToken(), nil
	}, func(r *v1.ListProcessesResponse) (rows [][]string) {
		for _, p := range r.GetProcesses() {
			rows = append(rows, []string{p.GetClusterName(), p.GetNodeName(), where(p.GetNamespace(), p.GetPodName(), p.GetContainerName(), p.GetContainer()),
				p.GetExecutablePath(), trunc(strings.Join(p.GetArgv(), " "), 40), trunc(p.GetSha256(), 12), num(int64(p.GetCount())),
				when(p.GetLastSeen().AsTime()), drift(p.GetDrift())})
		}
		return rows
	}, []string{"CLUSTER", "NODE", "WHERE", "EXECUTABLE", "ARGV", "SHA256", "COUNT", "LAST SEEN", "DRIFT"})
}

var fileKindNames = map[string]v1.FileKind{"": 0, "executable": v1.FileKind_FILE_KIND_EXECUTABLE, "shared_library": v1.FileKind_FILE_KIND_SHARED_LIBRARY,
	"jar": v1.FileKind_FILE_KIND_JAR, "script": v1.FileKind_FILE_KIND_SCRIPT, "interpreted_module": v1.FileKind_FILE_KIND_INTERPRETED_MODULE}

func (c *cli) files(ctx context.Context, args []string) error {
	var sha, kind, purl string
	return listCommand(c, ctx, "files", args, func(fs *flag.FlagSet) {
		fs.StringVar(&sha, "sha256", "", "exact sha256 of the file")
		fs.StringVar(&kind, "kind", "", "executable, shared_library, jar, script or interpreted_module")
		fs.StringVar(&purl, "purl", "", "package URL prefix, e.g. pkg:golang/golang.org/x/text")
	}, func(f *v1.Filter, p *v1.Page, order string) (*v1.ListLoadedFilesResponse, string, error) {
		k, ok := fileKindNames[kind]
		if !ok {
			return nil, "", fmt.Errorf("--kind %q is not one of executable, shared_library, jar, script, interpreted_module", kind)
		}
		r, err := c.inventory.ListLoadedFiles(ctx, connect.NewRequest(&v1.ListLoadedFilesRequest{Filter: f, Page: p, Sha256: sha, Kind: k, PackagePurl: purl, OrderBy: order}))
		if err != nil {
			return nil, "", err
		}
		return r.Msg, r.Msg.GetNextPageToken(), nil
	}, func(r *v1.ListLoadedFilesResponse) (rows [][]string) {
		for _, f := range r.GetLoadedFiles() {
			rows = append(rows, []string{f.GetClusterName(), where(f.GetNamespace(), f.GetPodName(), f.GetContainerName(), f.GetContainer()), f.GetPath(),
				short(f.GetKind().String(), "FILE_KIND_"), strings.Join(f.GetPackagePurls(), ","), num(int64(f.GetCount())), when(f.GetLastSeen().AsTime())})
		}
		return rows
	}, []string{"CLUSTER", "WHERE", "PATH", "KIND", "PACKAGES", "COUNT", "LAST SEEN"})
}

func where(ns, pod, ctr string, ref *v1.ContainerRef) string {
	switch {
	case pod != "":
		return ns + "/" + pod + "/" + ctr
	case ref.GetContainerId() == "":
		return "host"
	}
	return "container " + trunc(ref.GetContainerId(), 12)
}

func drift(d bool) string {
	if d {
		return "DRIFT"
	}
	return ""
}

func shortDigests(ds []string) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = shortDigest(d)
	}
	sort.Strings(out)
	return out
}

func shortDigest(d string) string {
	if hex, ok := strings.CutPrefix(d, "sha256:"); ok {
		return "sha256:" + trunc(hex, 12)
	}
	return d
}
