{{/*
One Deployment of a binary. Call with a dict:
  root: $, name: component and binary (api, gateway, worker, web),
  c: its values block, env: extra env (name -> value),
  grace: terminationGracePeriodSeconds, preStop: seconds of the preStop sleep (0: none).
*/}}
{{- define "chatforge.deployment" -}}
{{- $root := .root -}}
{{- $c := .c -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "chatforge.fullname" $root }}-{{ .name }}
  labels:
    {{- include "chatforge.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .name }}
spec:
  {{- if not (and $c.autoscaling $c.autoscaling.enabled) }}
  replicas: {{ $c.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "chatforge.selector" (list $root .name) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "chatforge.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .name }}
      annotations:
        checksum/config: {{ include (print $root.Template.BasePath "/config.yaml") $root | sha256sum }}
        {{- if $root.Values.metrics.podAnnotations }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $c.port | quote }}
        prometheus.io/path: /metrics
        {{- end }}
    spec:
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      automountServiceAccountToken: false
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ .grace }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "chatforge.selector" (list $root .name) | nindent 14 }}
      containers:
        - name: {{ .name }}
          image: {{ include "chatforge.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [{{ .name | quote }}]
          ports:
            - name: http
              containerPort: {{ $c.port }}
              protocol: TCP
          envFrom:
            {{- include "chatforge.envFrom" $root | nindent 12 }}
          env:
            - name: APP_ENV
              value: production
            {{- range $k, $v := .env }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
          readinessProbe:
            httpGet: {path: /readyz, port: http}
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          livenessProbe:
            httpGet: {path: /healthz, port: http}
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 6
          startupProbe:
            httpGet: {path: /healthz, port: http}
            periodSeconds: 2
            failureThreshold: 30
          {{- if .preStop }}
          lifecycle:
            preStop:
              # No shell in the image: the kubelet's own sleep action (Kubernetes >= 1.30).
              sleep:
                seconds: {{ .preStop }}
          {{- end }}
          resources:
            {{- toYaml $c.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: keys
              mountPath: /etc/chatforge
              readOnly: true
            - name: tmp
              mountPath: /tmp
      volumes:
        {{- include "chatforge.keyVolume" $root | nindent 8 }}
        - name: tmp
          emptyDir: {}
{{- end -}}
