{{/* Names and labels shared by every template. */}}

{{- define "chatforge.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "chatforge.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* selector labels of one component: include with (list $ "api") */}}
{{- define "chatforge.selector" -}}
app.kubernetes.io/name: {{ (index . 0).Chart.Name }}
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "chatforge.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "chatforge.secretName" -}}
{{ .Values.secret.existingSecret | default (printf "%s-secret" (include "chatforge.fullname" .)) }}
{{- end -}}

{{/* env shared by every container: ConfigMap and Secret. */}}
{{- define "chatforge.envFrom" -}}
- configMapRef:
    name: {{ include "chatforge.fullname" . }}-config
- secretRef:
    name: {{ include "chatforge.secretName" . }}
{{- end -}}

{{/* The signing key pair, mounted read-only at /etc/chatforge. */}}
{{- define "chatforge.keyVolume" -}}
- name: keys
  secret:
    secretName: {{ include "chatforge.secretName" . }}
    items:
      - {key: jwt.pem, path: jwt.pem}
      - {key: jwt.pub.pem, path: jwt.pub.pem}
{{- end -}}
