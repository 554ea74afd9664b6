# SPDX-License-Identifier: GPL-2.0-or-later
"""Output suite: the README's "Feeding a fleet" recipes, run.  The units of
contrib/systemd pass `systemd-analyze verify` with no warning and are the ones the
README shows; the textfile service's commands, run in a scratch directory, leave
whole .prom files that promtool accepts and that a real node_exporter serves without
error, and a failing vmrank leaves the previous file and no temporary; the README's
curl pipeline POSTs each vmfault sample as strict JSON; the NDJSON service's command
appends one object per line."""

import http.server
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request

import outlib
import test_promtool
from outlib import note

UNITS = ['vmscope-textfile.service', 'vmscope-textfile.timer', 'vmscope-faults.service']
DASHBOARD_URL = 'http://dashboard.example:8080/ingest/vmfault'


def unit_path(args, name):
    return os.path.join(args.source, 'contrib', 'systemd', name)


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def exec_starts(text):
    """The ExecStart= values of a unit, systemd's $$ and %% undone."""
    out = []
    for line in text.split('\n'):
        if line.startswith('ExecStart='):
            out.append(line[len('ExecStart='):].replace('$$', '$').replace('%%', '%'))
    return out


def readme_section(args):
    text = read(os.path.join(args.source, 'README.md'))
    m = re.search(r'(?ms)^## Feeding a fleet\n(.*?)(?=^## )', text)
    if not m:
        raise outlib.Failed('README.md has no "## Feeding a fleet" section')
    return m.group(1)


def code_blocks(text):
    return re.findall(r'(?ms)^```[a-z]*\n(.*?)^```', text)


def bin_dir(args, d, fake_vmrank=None):
    """A directory for PATH with the built commands (or a failing vmrank)."""
    b = os.path.join(d, 'bin')
    shutil.rmtree(b, ignore_errors=True)
    os.mkdir(b)
    for name, path in args.bin.items():
        os.symlink(path, os.path.join(b, name))
    if fake_vmrank:
        os.unlink(os.path.join(b, 'vmrank'))
        with open(os.path.join(b, 'vmrank'), 'w') as f:
            f.write(fake_vmrank)
        os.chmod(os.path.join(b, 'vmrank'), 0o755)
    return b


def check_readme_shows_units(args, check, section):
    """Every line of the units (their header comment aside) is in the README, in order."""
    blocks = code_blocks(section)
    for name in ('vmscope-textfile.service', 'vmscope-textfile.timer'):
        lines = read(unit_path(args, name)).split('\n')
        while lines and (lines[0].startswith('#') or not lines[0]):
            lines.pop(0)
        body = '\n'.join(lines).rstrip('\n')
        check.ok(any(body in b for b in blocks),
                 'README.md does not show %s as it is in contrib/systemd' % name)
    faults = read(unit_path(args, 'vmscope-faults.service'))
    for line in exec_starts(faults) + [l for l in faults.split('\n')
                                       if l.startswith('StandardOutput=')]:
        value = line.split('=', 1)[1] if line.startswith('StandardOutput=') else line
        check.ok(value in section, 'README.md does not name %r of vmscope-faults.service'
                 % value)


def check_verify(args, check, d):
    tool = shutil.which('systemd-analyze')
    if not tool:
        note('systemd-analyze not found: the units are not verified')
        return
    u = os.path.join(d, 'units')
    os.mkdir(u)
    for name in UNITS:
        text = read(unit_path(args, name))
        # a bare command is found in systemd's own search path: the built one here
        for cmd, path in args.bin.items():
            text = re.sub(r'(?m)^ExecStart=%s ' % cmd, 'ExecStart=%s ' % path, text)
        with open(os.path.join(u, name), 'w') as f:
            f.write(text)
    p = subprocess.run([tool, 'verify', '--man=no'] + [os.path.join(u, n) for n in UNITS],
                       capture_output=True, timeout=60)
    out = (p.stdout + p.stderr).decode('utf-8', 'replace')
    if p.returncode != 0 and re.search(r'Failed to (initialize|set up|allocate) manager|'
                                       r'Operation not permitted', out):
        note('systemd-analyze verify cannot run here: %s' % out.strip()[:200])
        return
    check.eq('systemd-analyze verify: exit status', 0, p.returncode)
    check.eq('systemd-analyze verify: warnings', '', out.strip())


def run_textfile(args, service, d, path):
    """The service's ExecStart commands, in @d, with @path first in PATH."""
    env = dict(os.environ, PATH=path + ':' + os.environ.get('PATH', '/usr/bin:/bin'))
    results = []
    for cmd in exec_starts(service):
        argv = cmd.split(' ', 2)
        if argv[:2] != ['/bin/sh', '-c']:
            raise outlib.Failed('unexpected ExecStart: %r' % cmd)
        script = argv[2]
        if script.startswith("'") and script.endswith("'"):
            script = script[1:-1]
        p = subprocess.run(['/bin/sh', '-c', script], cwd=d, env=env, capture_output=True,
                           timeout=120)
        results.append((script, p.returncode, p.stderr.decode('utf-8', 'replace')))
    return results


def prom_files(d):
    return sorted(n for n in os.listdir(d) if n.endswith('.prom'))


def check_textfile(args, check, d):
    """The textfile service's commands: whole files, replaced atomically, valid."""
    if 'vmrank' not in args.bin:
        note('vmrank not built: the textfile service is not run')
        return None
    service = read(unit_path(args, 'vmscope-textfile.service'))
    out = os.path.join(d, 'textfile')
    os.mkdir(out)
    path = bin_dir(args, d)
    inodes = {}
    for round_ in (1, 2):
        for script, status, err in run_textfile(args, service, out, path):
            check.eq('textfile round %d: %s: exit status (%s)' % (round_, script[:60],
                                                                  err.strip()[:200]),
                     0, status)
        files = prom_files(out)
        check.eq('textfile round %d: files' % round_,
                 ['vmscope-processes.prom', 'vmscope-programs.prom', 'vmscope-system.prom'],
                 files)
        check.eq('textfile round %d: files besides the .prom' % round_, [],
                 sorted(set(os.listdir(out)) - set(files)))
        families = {}
        for name in files:
            with open(os.path.join(out, name), 'rb') as f:
                raw = f.read()
            ino = os.stat(os.path.join(out, name)).st_ino
            if round_ == 2:
                check.ok(ino != inodes.get(name), 'textfile: %s rewritten in place, not '
                         'renamed over' % name)
            inodes[name] = ino
            if shutil.which('promtool'):
                test_promtool.check_output(check, 'textfile %s' % name, raw, None)
            for fam in re.findall(rb'(?m)^# TYPE (\S+) ', raw):
                families.setdefault(fam.decode(), []).append(name)
        dup = {f: n for f, n in families.items() if len(n) > 1}
        check.eq('textfile: families in more than one file', {}, dup)
    # a vmrank that fails half way: the old files stay, the temporaries go
    before = {n: (os.stat(os.path.join(out, n)).st_ino, read(os.path.join(out, n)))
              for n in prom_files(out)}
    bad = bin_dir(args, d, fake_vmrank='#!/bin/sh\necho "# TYPE half gauge"\nexit 1\n')
    for script, status, err in run_textfile(args, service, out, bad):
        check.eq('textfile, vmrank failing: %s: exit status' % script[:60], 1, status)
    after = {n: (os.stat(os.path.join(out, n)).st_ino, read(os.path.join(out, n)))
             for n in prom_files(out)}
    check.ok(before == after, 'textfile, vmrank failing: the previous files changed')
    check.eq('textfile, vmrank failing: files left', sorted(before), sorted(os.listdir(out)))
    return out


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def check_node_exporter(args, check, textdir, d):
    """A real node_exporter serves the files, typed, without a gathering error."""
    exe = shutil.which('prometheus-node-exporter') or shutil.which('node_exporter')
    if not exe or not textdir:
        note('node_exporter not found: the textfile collector is not tried')
        return
    port = free_port()
    log = open(os.path.join(d, 'node_exporter.log'), 'wb')
    p = subprocess.Popen([exe, '--collector.disable-defaults', '--collector.textfile',
                          '--collector.textfile.directory=' + textdir,
                          '--web.listen-address=127.0.0.1:%d' % port],
                         stdout=log, stderr=subprocess.STDOUT)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port,
                                            timeout=5) as r:
                    body = r.read().decode('utf-8', 'replace')
                break
            except OSError:
                if p.poll() is not None:
                    break
                time.sleep(0.1)
    finally:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()
    logtext = read(os.path.join(d, 'node_exporter.log'))
    if not check.ok(body is not None, 'node_exporter did not serve /metrics: %s'
                    % logtext[-500:]):
        return
    check.ok(re.search(r'(?m)^node_textfile_scrape_error 0$', body),
             'node_exporter: node_textfile_scrape_error is not 0')
    for fam, typ in (('vmscope_process_pss_bytes', 'gauge'),
                     ('vmscope_program_rss_bytes', 'gauge'),
                     ('vmscope_system_memory_bytes', 'gauge'),
                     ('vmscope_process_minor_faults_total', 'untyped')):
        check.ok('# TYPE %s %s\n' % (fam, typ) in body,
                 'node_exporter: no "# TYPE %s %s"' % (fam, typ))
    check.ok(re.search(r'(?m)^vmscope_process_pss_bytes\{', body),
             'node_exporter: no vmscope_process_pss_bytes sample')
    check.ok('error' not in logtext.lower(), 'node_exporter logged an error: %s'
             % logtext[-800:])


class Collector(http.server.BaseHTTPRequestHandler):
    """A dashboard's ingest endpoint: keeps every POST."""
    posts = []

    def do_POST(self):
        n = int(self.headers.get('Content-Length', 0))
        Collector.posts.append((self.path, self.headers.get('Content-Type'),
                                self.rfile.read(n)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


def check_curl(args, check, section, d):
    """The README's curl pipeline, with a local endpoint and three samples."""
    blocks = [b for b in code_blocks(section) if 'curl' in b and 'vmfault' in b]
    if not check.ok(len(blocks) == 1, 'README.md: expected one vmfault | curl block'):
        return
    if 'vmfault' not in args.bin:
        note('vmfault not built: the curl pipeline is not run')
        return
    if not shutil.which('curl'):
        note('curl not found: the README\'s curl pipeline is not run')
        return
    script = blocks[0]
    check.ok(DASHBOARD_URL in script and '--interval 10' in script,
             'README.md: the curl block no longer has %s and --interval 10' % DASHBOARD_URL)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Collector)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        url = 'http://127.0.0.1:%d/ingest/vmfault' % server.server_address[1]
        script = script.replace(DASHBOARD_URL, url).replace('--interval 10',
                                                            '--interval 0.2 --count 3')
        env = dict(os.environ, PATH=bin_dir(args, d) + ':' + os.environ.get('PATH', ''))
        env.pop('http_proxy', None)
        env.pop('HTTP_PROXY', None)
        p = subprocess.run(['/bin/sh', '-c', script], env=env, capture_output=True,
                           timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    err = p.stderr.decode('utf-8', 'replace')
    check.eq('README curl pipeline: exit status (%s)' % err.strip()[:300], 0, p.returncode)
    posts = Collector.posts
    check.eq('README curl pipeline: POSTs', 3, len(posts))
    samples = []
    for path, ctype, body in posts:
        check.eq('README curl pipeline: path', '/ingest/vmfault', path)
        check.eq('README curl pipeline: Content-Type', 'application/json', ctype)
        try:
            doc = outlib.strict_loads(body)
        except outlib.JSONError as e:
            check.fail('README curl pipeline: a POST is not strict JSON: %s' % e)
            continue
        check.eq('README curl pipeline: schema', 'vmscope/1', doc.get('schema'))
        check.eq('README curl pipeline: problems', [], outlib.json_problems(doc)[:3])
        samples.append(doc.get('sample'))
        if doc.get('sample'):
            check.ok(isinstance(doc['system'].get('rates'), dict),
                     'README curl pipeline: no system.rates at sample %s' % doc['sample'])
    check.eq('README curl pipeline: samples', [0, 1, 2], samples)


def check_ndjson_service(args, check, d):
    """vmscope-faults.service's command, appending to a file: one object per line."""
    if 'vmfault' not in args.bin:
        return
    cmds = exec_starts(read(unit_path(args, 'vmscope-faults.service')))
    if not check.eq('vmscope-faults.service: ExecStart lines', 1, len(cmds)):
        return
    argv = cmds[0].split()
    check.eq('vmscope-faults.service: the command', 'vmfault', argv[0])
    argv = [args.bin['vmfault']] + argv[1:]
    i = argv.index('--interval')
    argv[i + 1:i + 2] = ['0.2', '--count', '2']
    out = os.path.join(d, 'faults.ndjson')
    for run in (1, 2):
        # append mode, as StandardOutput=append: opens it
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            p = subprocess.run(argv, stdout=fd, stderr=subprocess.PIPE, timeout=60)
        finally:
            os.close(fd)
        check.eq('vmscope-faults.service run %d: exit status' % run, 0, p.returncode)
    with open(out, 'rb') as f:
        lines = f.read().split(b'\n')
    check.eq('vmscope-faults.service: the file ends with a newline', b'', lines[-1])
    docs = []
    for l in lines[:-1]:
        try:
            docs.append(outlib.strict_loads(l))
        except outlib.JSONError as e:
            check.fail('vmscope-faults.service: a line is not strict JSON: %s' % e)
    check.eq('vmscope-faults.service: samples appended', [0, 1, 0, 1],
             [x.get('sample') for x in docs])


def body(args, check):
    section = readme_section(args)
    check_readme_shows_units(args, check, section)
    with outlib.scratch(args, 'fleet') as d:
        check_verify(args, check, d)
        textdir = check_textfile(args, check, d)
        check_node_exporter(args, check, textdir, d)
        check_curl(args, check, section, d)
        check_ndjson_service(args, check, d)


if __name__ == '__main__':
    outlib.run_test(body)
