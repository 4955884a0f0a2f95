import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local bound to 127.0.0.1 only.
 *
 * <p>DynamoDB Local has no bind-address option: its Jetty connector listens on every interface,
 * and the local stack's rule is that servers bind to loopback. So we build the server through the
 * jar's public factory (same argument parsing as its own main), reach the private Jetty
 * {@code server} field of {@code DynamoDBProxyServer} by reflection, and pin each connector's host
 * before anything listens. Telemetry is never configured, so it stays off without a network call.
 *
 * <p>If a future jar renames the field, this fails loudly at startup rather than silently listening
 * on all interfaces.
 */
public final class LoopbackDynamoDb {
    private static final String LOOPBACK = "127.0.0.1";

    private LoopbackDynamoDb() {}

    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        if (proxy == null) {
            throw new IllegalStateException("DynamoDB Local rejected its command line");
        }
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        Connector[] connectors = server.getConnectors();
        if (connectors.length == 0) {
            throw new IllegalStateException("DynamoDB Local built a Jetty server with no connector");
        }
        for (Connector connector : connectors) {
            if (!(connector instanceof ServerConnector)) {
                throw new IllegalStateException("unexpected Jetty connector " + connector.getClass());
            }
            ((ServerConnector) connector).setHost(LOOPBACK);
        }
        proxy.start();
        System.out.println("LoopbackDynamoDb listening on " + LOOPBACK);
    }
}
