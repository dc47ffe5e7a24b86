import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway certificate authority and a server certificate it signed, as files. */
export interface TlsFiles {
  dir: string;
  /** The CA certificate: what a client must trust. */
  caFile: string;
  ca: Buffer;
  /** The server's certificate and key, for localhost and 127.0.0.1. */
  certFile: string;
  keyFile: string;
  dispose(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('openssl not found on PATH: the TLS tests make their certificates with it (apt-get install -y openssl; .ci/run installs it)');
    }
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '');
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim()}`, { cause: error });
  }
}

/**
 * Makes a CA and a server certificate with the openssl command-line tool, so that tests run the
 * real TLS handshake and certificate check a production client does, with nothing downloaded.
 * P-256 keys: quick to generate. Valid for two days.
 */
export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'sessionkit-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    openssl(
      [
        'req',
        '-x509',
        ...ec,
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '2',
        '-subj',
        '/CN=SessionKit test CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
    openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
    writeFileSync(
      join(dir, 'server.ext'),
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '',
      ].join('\n'),
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'server.crt',
        '-days',
        '2',
        '-extfile',
        'server.ext',
      ],
      dir,
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const caFile = join(dir, 'ca.crt');
  return {
    dir,
    caFile,
    ca: readFileSync(caFile),
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * redis-server arguments for a TLS listener on `tlsPort`, beside the plain port the launcher
 * always opens (it waits on that one to know the server is up). Clients need no certificate.
 */
export function tlsServerArgs(files: TlsFiles, tlsPort: number): string[] {
  return [
    '--tls-port',
    String(tlsPort),
    '--tls-cert-file',
    files.certFile,
    '--tls-key-file',
    files.keyFile,
    '--tls-ca-cert-file',
    files.caFile,
    '--tls-auth-clients',
    'no',
  ];
}
