//go:build linux

// Command stormbench measures what the sensor costs and whether it keeps
// up, against a baseline measured in the same run:
//
//   - an exec storm: workers fork and exec a small binary as fast as they
//     can for a fixed time, without and with the sensor; it reports execs
//     per second both ways, the executions the sensor accounted for versus
//     those performed, the sensor's CPU seconds per 10,000 execs and its
//     peak RSS;
//   - an open/mmap storm: workers open a .jar, open a plain file and map a
//     shared library executable in a loop, with the sensor's in-kernel
//     filter on and off; it reports the ring-buffer loss rate of each.
//
// It runs the real runwatch-sensor binary (--host --print) and must run as
// root. Run it with `./task bench:sensor`.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	sensorBin := flag.String("sensor", "", "runwatch-sensor binary (built when empty)")
	dur := flag.Duration("duration", 5*time.Second, "length of each storm phase")
	workers := flag.Int("workers", runtime.NumCPU(), "concurrent storm workers")
	rounds := flag.Int("rounds", 3, "alternating without/with rounds of the exec storm (the median is reported: a shared machine is noisy)")
	flag.Parse()
	if os.Geteuid() != 0 {
		fail(errors.New("stormbench loads eBPF programs: run it as root"))
	}
	tmp, err := os.MkdirTemp("", "stormbench-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	if *sensorBin == "" {
		*sensorBin = filepath.Join(tmp, "runwatch-sensor")
		fmt.Fprintln(os.Stderr, "building runwatch-sensor ...")
		cmd := exec.Command("go", "build", "-o", *sensorBin, "github.com/runwatch/runwatch/agents/cmd/runwatch-sensor")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fail(fmt.Errorf("build runwatch-sensor: %w", err))
		}
	}
	// A uniquely named copy of true(1), so its executions can be told apart
	// from everything else on the machine.
	target := filepath.Join(tmp, "storm-tick")
	copyFile("/bin/true", target, 0o755)

	fmt.Printf("exec storm: %d workers fork+exec %s, %d rounds of %s without then %s with the sensor\n", *workers, target, *rounds, *dur, *dur)
	var (
		ratios          []float64
		without, with   []float64
		performed, seen int64
		cpu, drops      float64
		peak            int64
	)
	for r := range *rounds {
		base := execStorm(target, *workers, *dur)
		s := startSensor(*sensorBin, tmp, fmt.Sprintf("exec-%d", r), nil)
		cpu0 := s.cpuSeconds()
		w := execStorm(target, *workers, *dur)
		cpu1 := s.cpuSeconds()
		counted, m := s.stop(target)
		fmt.Printf("  round %d: without %7.0f execs/s, with %7.0f execs/s (ratio %.3f); counted %d of %d\n", r+1, base.rate(), w.rate(), w.rate()/base.rate(), counted, w.n)
		ratios = append(ratios, w.rate()/base.rate())
		without, with = append(without, base.rate()), append(with, w.rate())
		performed, seen = performed+w.n, seen+counted
		cpu += cpu1 - cpu0
		drops += m["runwatch_sensor_ring_buffer_drops_total"]
		peak = max(peak, s.peakRSS)
	}
	fmt.Printf("  median without sensor:    %8.0f execs/s\n", median(without))
	fmt.Printf("  median with sensor:       %8.0f execs/s\n", median(with))
	fmt.Printf("  overhead:                 %8.1f %% (median of the per-round ratios with/without = %.3f)\n", 100*(1-median(ratios)), median(ratios))
	fmt.Printf("  execs performed:          %8d\n", performed)
	fmt.Printf("  execs the sensor counted: %8d (%.2f %%)\n", seen, 100*float64(seen)/float64(performed))
	fmt.Printf("  ring-buffer drops:        %8.0f\n", drops)
	fmt.Printf("  sensor CPU:               %8.3f s per 10,000 execs (%.2f s in total)\n", cpu/float64(performed)*10000, cpu)
	fmt.Printf("  sensor peak RSS:          %8.1f MiB\n", float64(peak)/(1<<20))

	jar := filepath.Join(tmp, "lib.jar")
	copyFile("/bin/true", jar, 0o644) // content does not matter to the kernel filter
	plain := filepath.Join(tmp, "plain.txt")
	copyFile("/etc/hostname", plain, 0o644)
	lib := findLibc()
	fmt.Printf("\nopen/mmap storm: %d workers open %s and %s and map %s PROT_EXEC, %s per phase\n", *workers, filepath.Base(jar), filepath.Base(plain), lib, *dur)
	ob := fileStorm(jar, plain, lib, *workers, *dur)
	fmt.Printf("  without sensor:           %10.0f ops/s\n", ob.rate())
	for _, filtered := range []bool{true, false} {
		var extra []string
		name := "filter on"
		if !filtered {
			extra, name = []string{"--no-kernel-filter"}, "filter off"
		}
		s := startSensor(*sensorBin, tmp, "file", extra)
		cpu0 := s.cpuSeconds()
		r := fileStorm(jar, plain, lib, *workers, *dur)
		cpu1 := s.cpuSeconds()
		_, m := s.stop("")
		drops, received, filteredN := m["runwatch_sensor_ring_buffer_drops_total"], m["runwatch_sensor_file_events_total"], m["runwatch_sensor_kernel_filtered_total"]
		loss := 0.0
		if drops+received > 0 {
			loss = 100 * drops / (drops + received)
		}
		fmt.Printf("  with sensor, %-11s %10.0f ops/s (%.1f %% of baseline); file events to user space %.0f, filtered in kernel %.0f, ring drops %.0f: loss %.2f %%; sensor CPU %.2f s; peak RSS %.1f MiB\n",
			name+":", r.rate(), 100*r.rate()/ob.rate(), received, filteredN, drops, loss, cpu1-cpu0, float64(s.peakRSS)/(1<<20))
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "stormbench:", err)
	os.Exit(1)
}

func copyFile(src, dst string, mode os.FileMode) {
	b, err := os.ReadFile(src)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		fail(err)
	}
}

func findLibc() string {
	for _, p := range []string{"/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib64/libc.so.6", "/lib/libc.so.6"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	fail(errors.New("no libc.so.6 to map"))
	return ""
}

type result struct {
	n   int64
	dur time.Duration
}

func (r result) rate() float64 { return float64(r.n) / r.dur.Seconds() }

func execStorm(target string, workers int, d time.Duration) result {
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	attr := &syscall.ProcAttr{Files: []uintptr{0, 1, 2}}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				pid, err := syscall.ForkExec(target, []string{"storm-tick"}, attr)
				if err != nil {
					fail(err)
				}
				var ws syscall.WaitStatus
				syscall.Wait4(pid, &ws, 0, nil)
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return result{n: n.Load(), dur: time.Since(start)}
}

func fileStorm(jar, plain, lib string, workers int, d time.Duration) result {
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			for time.Now().Before(deadline) {
				for range 100 {
					for _, p := range []string{jar, plain} {
						fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
						if err != nil {
							fail(err)
						}
						unix.Close(fd)
					}
					fd, err := unix.Open(lib, unix.O_RDONLY|unix.O_CLOEXEC, 0)
					if err != nil {
						fail(err)
					}
					m, err := unix.Mmap(fd, 0, 4096, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE)
					unix.Close(fd)
					if err != nil {
						fail(err)
					}
					unix.Munmap(m)
					n.Add(4) // three opens and a mapping
				}
			}
		}()
	}
	wg.Wait()
	return result{n: n.Load(), dur: time.Since(start)}
}

type sensorProc struct {
	cmd     *exec.Cmd
	addr    string
	out     string
	peakRSS int64
}

func startSensor(bin, tmp, name string, extra []string) *sensorProc {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	addr := l.Addr().String()
	l.Close()
	out := filepath.Join(tmp, "sensor-"+name+".jsonl")
	f, err := os.Create(out)
	if err != nil {
		fail(err)
	}
	args := append([]string{"--host", "--print", "--listen", addr, "--flush-interval", "1s", "--log-level", "warn"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, os.Stderr
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	f.Close()
	s := &sensorProc{cmd: cmd, addr: addr, out: out}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				time.Sleep(500 * time.Millisecond) // let the /proc bootstrap settle
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	fail(errors.New("sensor not ready within 30s"))
	return nil
}

// cpuSeconds is the sensor's user+system CPU time so far.
func (s *sensorProc) cpuSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		fail(err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

func (s *sensorProc) metrics() map[string]float64 {
	m := map[string]float64{}
	resp, err := http.Get("http://" + s.addr + "/metrics")
	if err != nil {
		fail(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, " ")
		if ok {
			f, _ := strconv.ParseFloat(v, 64)
			m[k] = f
		}
	}
	return m
}

// stop reads the metrics and peak RSS, stops the sensor (which flushes what
// it holds) and sums the execution counts it printed for target.
func (s *sensorProc) stop(target string) (int64, map[string]float64) {
	time.Sleep(1500 * time.Millisecond) // one flush, and the kernel counters polled
	m := s.metrics()
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				s.peakRSS = kb << 10
			}
		}
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	s.cmd.Wait()
	if target == "" {
		return 0, m
	}
	f, err := os.Open(s.out)
	if err != nil {
		fail(err)
	}
	defer f.Close()
	var total int64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec struct {
			Execution *struct {
				ExecutablePath string `json:"executablePath"`
				Count          string `json:"count"`
			} `json:"execution"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Execution == nil || rec.Execution.ExecutablePath != target {
			continue
		}
		c, _ := strconv.ParseInt(rec.Execution.Count, 10, 64)
		total += c
	}
	return total, m
}
