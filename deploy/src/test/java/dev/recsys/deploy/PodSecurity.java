package dev.recsys.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks of the Kubernetes Pod Security Standards' "restricted" profile (which includes
 * "baseline"), applied to a pod spec as Pod Security Admission applies them to a pod.
 */
final class PodSecurity {

  private static final Set<String> RESTRICTED_VOLUMES =
      Set.of("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret");
  private static final Set<String> SAFE_SYSCTLS = Set.of("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
      "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
      "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
      "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes");

  private PodSecurity() {}

  /** What the "restricted" level refuses in this pod spec, one line each; empty when admitted. */
  @SuppressWarnings("unchecked")
  static List<String> restrictedViolations(String pod, Map<String, Object> spec) {
    List<String> out = new ArrayList<>();
    for (String host : List.of("hostNetwork", "hostPID", "hostIPC")) {
      if (Boolean.TRUE.equals(spec.get(host))) {
        out.add(pod + ": " + host);
      }
    }
    for (Map<String, Object> v : (List<Map<String, Object>>) spec.getOrDefault("volumes", List.of())) {
      if (v.keySet().stream().filter(k -> !k.equals("name")).anyMatch(k -> !RESTRICTED_VOLUMES.contains(k))) {
        out.add(pod + ": volume " + v.get("name") + " of a type the restricted level does not allow: " + v.keySet());
      }
    }
    Map<String, Object> podCtx = (Map<String, Object>) spec.getOrDefault("securityContext", Map.of());
    for (Map<String, Object> s : (List<Map<String, Object>>) podCtx.getOrDefault("sysctls", List.of())) {
      if (!SAFE_SYSCTLS.contains(s.get("name"))) {
        out.add(pod + ": unsafe sysctl " + s.get("name"));
      }
    }
    Object podUser = podCtx.get("runAsUser");
    if (podUser != null && ((Number) podUser).longValue() == 0) {
      out.add(pod + ": runAsUser 0");
    }
    List<Map<String, Object>> containers = new ArrayList<>();
    for (String list : List.of("initContainers", "containers", "ephemeralContainers")) {
      containers.addAll((List<Map<String, Object>>) spec.getOrDefault(list, List.of()));
    }
    for (Map<String, Object> c : containers) {
      String where = pod + " container " + c.get("name");
      Map<String, Object> ctx = (Map<String, Object>) c.getOrDefault("securityContext", Map.of());
      if (Boolean.TRUE.equals(ctx.get("privileged"))) {
        out.add(where + ": privileged");
      }
      if (!Boolean.FALSE.equals(ctx.get("allowPrivilegeEscalation"))) {
        out.add(where + ": allowPrivilegeEscalation is not false");
      }
      Object nonRoot = ctx.containsKey("runAsNonRoot") ? ctx.get("runAsNonRoot") : podCtx.get("runAsNonRoot");
      if (!Boolean.TRUE.equals(nonRoot)) {
        out.add(where + ": runAsNonRoot is not true");
      }
      Object user = ctx.get("runAsUser");
      if (user != null && ((Number) user).longValue() == 0) {
        out.add(where + ": runAsUser 0");
      }
      Map<String, Object> seccomp = (Map<String, Object>) (ctx.containsKey("seccompProfile") ? ctx.get("seccompProfile") : podCtx.get("seccompProfile"));
      if (seccomp == null || !Set.of("RuntimeDefault", "Localhost").contains(seccomp.get("type"))) {
        out.add(where + ": seccompProfile is not RuntimeDefault or Localhost");
      }
      Map<String, Object> caps = (Map<String, Object>) ctx.getOrDefault("capabilities", Map.of());
      if (!((List<String>) caps.getOrDefault("drop", List.of())).contains("ALL")) {
        out.add(where + ": capabilities do not drop ALL");
      }
      for (String add : (List<String>) caps.getOrDefault("add", List.of())) {
        if (!add.equals("NET_BIND_SERVICE")) {
          out.add(where + ": adds capability " + add);
        }
      }
      if (ctx.containsKey("procMount") && !"Default".equals(ctx.get("procMount"))) {
        out.add(where + ": procMount " + ctx.get("procMount"));
      }
      for (Map<String, Object> p : (List<Map<String, Object>>) c.getOrDefault("ports", List.of())) {
        if (p.get("hostPort") != null && ((Number) p.get("hostPort")).intValue() != 0) {
          out.add(where + ": hostPort " + p.get("hostPort"));
        }
      }
    }
    return out;
  }
}
