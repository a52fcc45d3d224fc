package pkgid

import (
	"bufio"
	"io"
	"strings"

	"github.com/runwatch/runwatch/domain/vuln"
)

// OSRelease is what Runwatch reads from /etc/os-release: the package
// URLs' namespace and distro, and the name a node reports.
type OSRelease struct {
	ID         string // debian, ubuntu, alpine, ...
	VersionID  string // 12, 22.04, 3.20.3
	PrettyName string // Debian GNU/Linux 12 (bookworm)
}

// Distro is the purl distro qualifier: "<id>-<version_id>", or "" when
// either is unknown.
func (o OSRelease) Distro() string {
	if o.ID == "" || o.VersionID == "" {
		return ""
	}
	return o.ID + "-" + o.VersionID
}

// packagePURL is the purl of a distribution package of this OS: its
// namespace the OS id (def when unknown), with the arch, distro and
// upstream (source package, when it differs from the name) qualifiers.
func (o OSRelease) packagePURL(typ, def, name, version, arch, upstream string) vuln.PURL {
	ns := o.ID
	if ns == "" {
		ns = def
	}
	q := map[string]string{}
	if arch != "" {
		q["arch"] = arch
	}
	if v := o.Distro(); v != "" {
		q["distro"] = v
	}
	if upstream != "" && upstream != name {
		q["upstream"] = upstream
	}
	return vuln.PURL{Type: typ, Namespace: ns, Name: name, Version: version, Qualifiers: q}
}

// ParseOSRelease reads an os-release file; unknown lines are ignored.
func ParseOSRelease(r io.Reader) OSRelease {
	var o OSRelease
	sc := bufio.NewScanner(io.LimitReader(r, 64<<10))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			o.ID = strings.ToLower(v)
		case "VERSION_ID":
			o.VersionID = v
		case "PRETTY_NAME":
			o.PrettyName = v
		}
	}
	return o
}
