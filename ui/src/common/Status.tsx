import type { ComponentChildren } from 'preact';

export function Loading({ children }: { children?: ComponentChildren }) {
  return (
    <div class="status loading" role="status" data-testid="loading">
      <span class="spinner" aria-hidden="true" /> {children ?? 'Loading…'}
    </div>
  );
}

export function ErrorBox({ title, message }: { title?: string; message: string }) {
  return (
    <div class="status error-box" role="alert" data-testid="error">
      <strong>{title ?? 'Error'}:</strong> {message}
    </div>
  );
}
