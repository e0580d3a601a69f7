using System.Reflection;
using System.Reflection.Emit;

namespace PgHa.UnitTests;

/// <summary>
/// The operands a method's IL names, read from PgHa.dll as compiled: the members of call, newobj, ldfld,
/// castclass, ldtoken, ... (as <see cref="MemberInfo"/>) and the strings of ldstr. One walker for the tests
/// that read the engine's IL (ArchitectureTests' folder rules, ErrorIdReach's call graph).
/// </summary>
internal static class IlOperands
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>Each operand in IL order: a <see cref="MemberInfo"/> (possibly null when it cannot be resolved) or a string.</summary>
    public static IEnumerable<object?> In(MethodBase method)
    {
        byte[] il = method.GetMethodBody()?.GetILAsByteArray() ?? [];
        Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int at = 0;
        while (at < il.Length)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            OpCode op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                case OperandType.InlineString:
                    yield return method.Module.ResolveString(BitConverter.ToInt32(il, at));
                    at += 4;
                    break;
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok:
                    yield return method.Module.ResolveMember(BitConverter.ToInt32(il, at), typeArgs, methodArgs);
                    at += 4;
                    break;
                default: // InlineBrTarget, InlineI, InlineSig, ShortInlineR
                    at += 4;
                    break;
            }
        }
    }
}
