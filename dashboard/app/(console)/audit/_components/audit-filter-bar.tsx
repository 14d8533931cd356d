'use client';

import { AUDIT_ACTION_GROUPS, isAuditAction } from '@portcullis/shared/audit';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { SelectField } from '@/components/ui/select-field';
import { TextField } from '@/components/ui/text-field';
import styles from './audit.module.css';

const OTHER = '__other';

const choiceFor = (action: string) => (action === '' || isAuditAction(action) ? action : OTHER);

/**
 * Action and target filters. A known action applies as soon as it is picked; a typed action and the
 * target id apply on "Apply" (or Enter), so half-typed text never fires a request or is lost.
 */
export function AuditFilterBar({
  action,
  targetId,
  onApply,
}: {
  action: string;
  targetId: string;
  onApply: (patch: { action: string | null; targetId: string | null }) => void;
}) {
  const [choice, setChoice] = useState(() => choiceFor(action));
  const [customAction, setCustomAction] = useState(() => (choiceFor(action) === OTHER ? action : ''));
  const [target, setTarget] = useState(targetId);
  const hintId = useId();

  // The URL changed elsewhere (Back, Clear filters, a target link): show what is applied.
  useEffect(() => {
    setChoice(choiceFor(action));
    if (choiceFor(action) === OTHER) setCustomAction(action);
  }, [action]);
  useEffect(() => setTarget(targetId), [targetId]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply({
      action: choice === OTHER ? customAction.trim() || null : choice || null,
      targetId: target.trim() || null,
    });
  };

  const dirty = target.trim() !== targetId || (choice === OTHER && customAction.trim() !== action);

  return (
    <form className={`card ${styles.filters}`} aria-label="Filters" onSubmit={submit}>
      <div className="field-row">
        <SelectField
          label="Action"
          value={choice}
          onChange={(e) => {
            const next = e.target.value;
            setChoice(next);
            if (next !== OTHER) onApply({ action: next || null, targetId: targetId || null });
          }}
        >
          <option value="">All actions</option>
          {AUDIT_ACTION_GROUPS.map((group) => (
            <optgroup key={group.label} label={group.label}>
              {group.actions.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </optgroup>
          ))}
          <option value={OTHER}>Other action…</option>
        </SelectField>
        {choice === OTHER && (
          <TextField
            label="Action name"
            name="action"
            value={customAction}
            onChange={(e) => setCustomAction(e.target.value)}
            placeholder="e.g. key.rotated"
            maxLength={100}
            autoComplete="off"
            spellCheck={false}
          />
        )}
        <TextField
          label="Target id"
          name="targetId"
          value={target}
          onChange={(e) => setTarget(e.target.value)}
          maxLength={100}
          autoComplete="off"
          spellCheck={false}
          aria-describedby={hintId}
        />
      </div>
      <p id={hintId} className="field-hint">
        The id of a key, user, group, model or other object: every event about it.
      </p>
      <div className="button-row">
        <button type="submit" className={`button ${dirty ? 'button-primary' : ''}`}>
          Apply filters
        </button>
        {(action || targetId) && (
          <button
            type="button"
            className="button"
            onClick={() => {
              setCustomAction('');
              onApply({ action: null, targetId: null });
            }}
          >
            Clear filters
          </button>
        )}
      </div>
    </form>
  );
}
