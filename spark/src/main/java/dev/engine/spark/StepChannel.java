package dev.engine.spark;

import dev.engine.api.EngineException;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.function.Function;
import org.apache.spark.BarrierTaskContext;

/**
 * The per-step exchange between the tasks of one barrier stage: a star of TCP connections to worker 0, which
 * gathers every worker's message, reduces them and sends the result back to all.
 *
 * <p>Why not {@code BarrierTaskContext.allGather} every step: in Spark 3.5 every barrier call polls its RPC
 * with a fixed one-second sleep, so a step would cost a second whatever the model. The stage uses one
 * {@code allGather} to learn worker 0's address (as XGBoost's and Horovod's Spark integrations rendezvous
 * before their own collectives) and then talks directly. Every blocking wait wakes once a second to see if
 * Spark killed the task (a failed peer fails the whole barrier stage), so no task hangs on a dead peer.
 */
final class StepChannel implements AutoCloseable {
    private static final int POLL_MS = 1000;

    private final BarrierTaskContext ctx;
    private final int worker, workers;
    private final ServerSocket server;
    private final Socket[] peers;   // worker 0: one per other worker, by worker; others: [0] = worker 0

    private StepChannel(BarrierTaskContext ctx, int worker, int workers, ServerSocket server, Socket[] peers) {
        this.ctx = ctx; this.worker = worker; this.workers = workers; this.server = server; this.peers = peers;
    }

    /** Connects the stage's tasks; a stage of one task needs no connections (and no barrier call). */
    static StepChannel open(BarrierTaskContext ctx) {
        int worker = ctx.partitionId(), workers = ctx.getTaskInfos().length;
        if (workers == 1) return new StepChannel(ctx, 0, 1, null, new Socket[0]);
        ServerSocket server = null;
        Socket[] peers = new Socket[worker == 0 ? workers : 1];
        try {
            String mine = "";
            if (worker == 0) {
                server = new ServerSocket(0, workers);
                server.setSoTimeout(POLL_MS);
                mine = host(ctx.getTaskInfos()[0].address()) + ":" + server.getLocalPort();
            }
            String[] addresses = ctx.allGather(mine);
            if (worker == 0) {
                for (int accepted = 1; accepted < workers; accepted++) {
                    Socket s = accept(ctx, server);
                    int from = ByteBuffer.wrap(readFully(ctx, s.getInputStream(), new byte[4])).getInt();
                    if (from < 1 || from >= workers || peers[from] != null)
                        throw new EngineException("spark trainer: gradient exchange: unexpected connection from worker " + from);
                    peers[from] = s;
                }
            } else {
                String a = addresses[0];
                int colon = a.lastIndexOf(':');
                Socket s = new Socket();
                s.connect(new InetSocketAddress(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1))), 60_000);
                s.setSoTimeout(POLL_MS);
                s.setTcpNoDelay(true);
                new DataOutputStream(s.getOutputStream()).writeInt(worker);
                peers[0] = s;
            }
            return new StepChannel(ctx, worker, workers, server, peers);
        } catch (IOException e) {
            closeAll(server, peers);
            throw new EngineException("spark trainer: gradient exchange: worker " + worker + " could not connect: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeAll(server, peers);
            throw e;
        }
    }

    /**
     * Sends this worker's message; worker 0 calls {@code reduce} on all of them (indexed by worker) and every
     * worker returns its result.
     */
    byte[] exchange(byte[] mine, Function<byte[][], byte[]> reduce) {
        try {
            if (worker != 0) {
                send(peers[0], mine);
                return receive(peers[0]);
            }
            byte[][] all = new byte[workers][];
            all[0] = mine;
            for (int w = 1; w < workers; w++) all[w] = receive(peers[w]);
            byte[] result = reduce.apply(all);
            for (int w = 1; w < workers; w++) send(peers[w], result);
            return result;
        } catch (IOException e) {
            throw new EngineException("spark trainer: gradient exchange: worker " + worker + " lost a peer: " + e.getMessage(), e);
        }
    }

    private static void send(Socket s, byte[] b) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(ByteBuffer.allocate(4).putInt(b.length).array());
        out.write(b);
        out.flush();
    }

    private byte[] receive(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        int n = ByteBuffer.wrap(readFully(ctx, in, new byte[4])).getInt();
        return readFully(ctx, in, new byte[n]);
    }

    /** Reads all of {@code b}, waking every second to honour a kill of this task. */
    private static byte[] readFully(BarrierTaskContext ctx, InputStream in, byte[] b) throws IOException {
        int off = 0;
        while (off < b.length) {
            int r;
            try {
                r = in.read(b, off, b.length - off);
            } catch (SocketTimeoutException e) {
                ctx.killTaskIfInterrupted();
                continue;
            }
            if (r < 0) throw new IOException("connection closed after " + off + " of " + b.length + " bytes");
            off += r;
        }
        return b;
    }

    private static Socket accept(BarrierTaskContext ctx, ServerSocket server) throws IOException {
        while (true) {
            try {
                Socket s = server.accept();
                s.setSoTimeout(POLL_MS);
                s.setTcpNoDelay(true);
                return s;
            } catch (SocketTimeoutException e) {
                ctx.killTaskIfInterrupted();
            }
        }
    }

    private static String host(String address) {
        int colon = address.lastIndexOf(':');
        return colon < 0 ? address : address.substring(0, colon);
    }

    @Override public void close() { closeAll(server, peers); }

    private static void closeAll(ServerSocket server, Socket[] peers) {
        for (Socket s : peers) {
            if (s == null) continue;
            try { s.close(); } catch (IOException ignored) { /* closing; nothing to recover */ }
        }
        if (server != null) {
            try { server.close(); } catch (IOException ignored) { /* closing; nothing to recover */ }
        }
    }
}
