package catalog

import (
	"strings"

	"github.com/runwatch/runwatch/domain/vuln"
)

type dpkgPackage struct {
	name, version, arch, source string
}

func (d dpkgPackage) purl(namespace, distro string) vuln.PURL {
	q := map[string]string{}
	if d.arch != "" {
		q["arch"] = d.arch
	}
	if distro != "" {
		q["distro"] = distro
	}
	if d.source != "" && d.source != d.name {
		q["upstream"] = d.source
	}
	return vuln.PURL{Type: "deb", Namespace: namespace, Name: d.name, Version: d.version, Qualifiers: q}
}

// parseDpkgStatus reads the installed packages of a dpkg status file
// (deb-control(5) paragraphs). Packages not fully installed are skipped.
func parseDpkgStatus(data []byte) []dpkgPackage {
	var out []dpkgPackage
	for _, para := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n\n") {
		var p dpkgPackage
		installed := true
		for _, line := range strings.Split(para, "\n") {
			if line == "" || line[0] == ' ' || line[0] == '\t' {
				continue // continuation lines (descriptions, conffiles)
			}
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			switch k {
			case "Package":
				p.name = v
			case "Version":
				p.version = v
			case "Architecture":
				p.arch = v
			case "Source":
				// "openssl" or "openssl (3.0.11-1)"
				p.source, _, _ = strings.Cut(v, " ")
			case "Status":
				installed = strings.HasSuffix(v, " installed")
			}
		}
		if p.name != "" && p.version != "" && installed {
			out = append(out, p)
		}
	}
	return out
}

type apkPackage struct {
	name, version, arch, origin string
	files                       []string
}

func (a apkPackage) purl(distro string) vuln.PURL {
	q := map[string]string{}
	if a.arch != "" {
		q["arch"] = a.arch
	}
	if distro != "" {
		q["distro"] = distro
	}
	if a.origin != "" && a.origin != a.name {
		q["upstream"] = a.origin
	}
	return vuln.PURL{Type: "apk", Namespace: "alpine", Name: a.name, Version: a.version, Qualifiers: q}
}

// parseAPKInstalled reads apk's installed database: paragraphs of
// one-letter keys (P name, V version, A arch, o origin, F directory, R file
// in the last directory).
func parseAPKInstalled(data []byte) []apkPackage {
	var out []apkPackage
	var cur *apkPackage
	dir := ""
	flush := func() {
		if cur != nil && cur.name != "" && cur.version != "" {
			out = append(out, *cur)
		}
		cur, dir = nil, ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			flush()
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			continue
		}
		if cur == nil {
			cur = &apkPackage{}
		}
		v := line[2:]
		switch line[0] {
		case 'P':
			cur.name = v
		case 'V':
			cur.version = v
		case 'A':
			cur.arch = v
		case 'o':
			cur.origin = v
		case 'F':
			dir = v
		case 'R':
			if p, ok := cleanName(dir + "/" + v); ok {
				cur.files = append(cur.files, p)
			}
		}
	}
	flush()
	return out
}
